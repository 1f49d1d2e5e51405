import { readFile } from 'node:fs/promises';
import { CarapaceError } from '../shared/index.js';
import { createWorkspaceFence } from '../tools/index.js';
import { isMemoryPath, MEMORY_FILE_MAX_BYTES } from './files.js';

/** Most lines one `memory_get` returns. */
export const MEMORY_GET_MAX_LINES = 1000;
/** Most characters one `memory_get` returns. */
export const MEMORY_GET_MAX_CHARS = 40_000;

/** A line range of a memory file. `to` is the last line returned; `totalLines` the file's count. */
export interface MemoryLines {
  path: string;
  from: number;
  to: number;
  totalLines: number;
  text: string;
  /** Set when lines remain after `to` (read on from `to + 1`). */
  more?: boolean;
}

function notMemory(path: string): CarapaceError {
  return new CarapaceError(
    'MEMORY_PATH_REFUSED',
    `'${path.slice(0, 200)}' is not a memory file; memory_get reads only MEMORY.md and memory/*.md`,
    { details: { path: path.slice(0, 200) } },
  );
}

/**
 * Read lines `from` … `from + lines - 1` (1-based) of a memory file. The path goes through the workspace
 * fence (no escapes, no symlinks leading out) and must name MEMORY.md or a Markdown file under memory/
 * after resolving: anything else is MEMORY_PATH_REFUSED. A missing file is PATH_NOT_FOUND.
 */
export async function readMemoryLines(
  workspaceDir: string,
  path: string,
  range: { from?: number | undefined; lines?: number | undefined } = {},
): Promise<MemoryLines> {
  const wanted = path.replace(/^\.\//, '');
  if (!isMemoryPath(wanted)) throw notMemory(path);
  const fenced = await createWorkspaceFence(workspaceDir).resolveExisting(wanted);
  if (!isMemoryPath(fenced.display)) throw notMemory(path);
  const text = await readFile(fenced.real, 'utf8');
  if (Buffer.byteLength(text) > MEMORY_FILE_MAX_BYTES) {
    throw new CarapaceError('MEMORY_FILE_TOO_LARGE', `'${fenced.display}' is too large for memory_get`);
  }
  const all = text.replace(/\r\n?/g, '\n').replace(/\n$/, '').split('\n');
  const from = Math.max(1, range.from ?? 1);
  const count = Math.min(range.lines ?? 200, MEMORY_GET_MAX_LINES);
  const out: string[] = [];
  let chars = 0;
  for (let i = from - 1; i < Math.min(all.length, from - 1 + count); i++) {
    const line = all[i]!;
    if (out.length > 0 && chars + line.length + 1 > MEMORY_GET_MAX_CHARS) break;
    out.push(line);
    chars += line.length + 1;
  }
  const to = from + out.length - 1;
  return {
    path: fenced.display,
    from,
    to: Math.max(to, from - 1),
    totalLines: all.length,
    text: out.join('\n'),
    ...(to < all.length ? { more: true } : {}),
  };
}
