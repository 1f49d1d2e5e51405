import { opendir, stat } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import Type from 'typebox';
import type { AgentTool } from '../agent/index.js';
import { defineTool } from './define-tool.js';
import type { WorkspaceFence } from './fence.js';
import { looksBinary, openForRead } from './fs-io.js';
import { createReadResolver, type ReadOnlyRoots, type ReadResolver } from './fs-read-roots.js';
import { runTool } from './tool-result.js';

/** Lines `read` returns when no `limit` is given. */
export const DEFAULT_READ_LINES = 2000;
/** Entries `ls` lists at most. */
export const MAX_LS_ENTRIES = 1000;

interface Window {
  lines: string[];
  /** Lines seen before stopping (all of them when `complete`). */
  seen: number;
  more: boolean;
  capped: boolean;
  binary: boolean;
  empty: boolean;
}

async function readWindow(
  handle: import('node:fs/promises').FileHandle,
  offset: number,
  limit: number,
  maxBytes: number,
): Promise<Window> {
  const w: Window = { lines: [], seen: 0, more: false, capped: false, binary: false, empty: false };
  const decoder = new StringDecoder('utf8');
  const chunk = Buffer.alloc(64 * 1024);
  let pending = '';
  let bytes = 0;
  let first = true;
  let done = false;
  const take = (line: string): void => {
    w.seen++;
    if (w.seen < offset) return;
    if (w.lines.length >= limit) {
      w.more = true;
      done = true;
      return;
    }
    const size = Buffer.byteLength(line) + 1;
    if (bytes + size > maxBytes) {
      if (w.lines.length === 0) w.lines.push(line.slice(0, maxBytes));
      w.capped = true;
      w.more = true;
      done = true;
      return;
    }
    bytes += size;
    w.lines.push(line);
  };
  while (!done) {
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
    if (bytesRead === 0) break;
    const piece = chunk.subarray(0, bytesRead);
    if (first && looksBinary(piece)) {
      w.binary = true;
      return w;
    }
    first = false;
    const parts = (pending + decoder.write(piece)).split('\n');
    pending = parts.pop() ?? '';
    for (const part of parts) {
      take(part);
      if (done) break;
    }
  }
  if (!done) {
    const tail = pending + decoder.end();
    if (tail !== '') take(tail);
    w.empty = first;
  }
  return w;
}

function createReadTool(resolver: ReadResolver, maxBytes: number): AgentTool {
  const skills = resolver.hasRoots
    ? ' The files of the skills listed in the system prompt can be read too, by their absolute path.'
    : '';
  return defineTool({
    name: 'read',
    description:
      `Read a text file in the workspace. Paths are relative to the workspace.${skills} Returns up to \`limit\` lines ` +
      `(default ${DEFAULT_READ_LINES}) starting at line \`offset\` (1-based, default 1); long files end with a note ` +
      `saying which offset to continue from. Output is capped at ${maxBytes} bytes. Binary files are not shown.`,
    parameters: Type.Object(
      {
        path: Type.String({ minLength: 1, description: 'File path, relative to the workspace.' }),
        offset: Type.Optional(Type.Integer({ minimum: 1, description: 'First line to return (1-based).' })),
        limit: Type.Optional(Type.Integer({ minimum: 1, description: 'Most lines to return.' })),
      },
      { additionalProperties: false },
    ),
    execute: (args) =>
      runTool(async () => {
        const { fence, path } = await resolver.resolve(args.path);
        const { handle, stat } = await openForRead(fence, path);
        const offset = args.offset ?? 1;
        let w: Window;
        try {
          w = await readWindow(handle, offset, args.limit ?? DEFAULT_READ_LINES, maxBytes);
        } finally {
          await handle.close();
        }
        if (w.binary)
          return { content: `'${path.display}' is a binary file (${stat.size} bytes); not shown.` };
        if (w.empty) return { content: `'${path.display}' is empty.` };
        if (w.lines.length === 0) {
          return {
            content: `offset ${offset} is past the end of '${path.display}' (${w.seen} lines).`,
            isError: true,
          };
        }
        const last = offset + w.lines.length - 1;
        let text = w.lines.join('\n');
        if (w.more) {
          const why = w.capped ? ` (output capped at ${maxBytes} bytes)` : '';
          text += `\n\n[Showing lines ${offset}-${last}${why}; more follow. Continue with offset=${last + 1}.]`;
        } else if (offset > 1) {
          text += `\n\n[Showing lines ${offset}-${last}; end of file.]`;
        }
        return { content: text };
      }),
  }) as AgentTool;
}

function createLsTool(fence: WorkspaceFence): AgentTool {
  return defineTool({
    name: 'ls',
    description:
      "List a directory in the workspace (default: the workspace itself). Directories end with '/', " +
      `symbolic links with '@'. At most ${MAX_LS_ENTRIES} entries, sorted by name.`,
    parameters: Type.Object(
      {
        path: Type.Optional(
          Type.String({ minLength: 1, description: 'Directory, relative to the workspace.' }),
        ),
      },
      { additionalProperties: false },
    ),
    execute: (args) =>
      runTool(async () => {
        const path = await fence.resolveExisting(args.path ?? '.');
        if (!(await stat(path.real)).isDirectory()) {
          return { content: `'${path.display}' is not a directory; use read to read a file.`, isError: true };
        }
        const names: string[] = [];
        let total = 0;
        const dir = await opendir(path.real);
        for await (const entry of dir) {
          total++;
          if (names.length >= MAX_LS_ENTRIES * 4) continue;
          const mark = entry.isDirectory() ? '/' : entry.isSymbolicLink() ? '@' : '';
          names.push(entry.name + mark);
        }
        names.sort();
        const shown = names.slice(0, MAX_LS_ENTRIES);
        if (shown.length === 0) return { content: `'${path.display}' is empty.` };
        let text = shown.join('\n');
        if (total > shown.length) text += `\n\n[${total - shown.length} more entries not shown]`;
        return { content: text };
      }),
  }) as AgentTool;
}

/**
 * The read-only file tools: `read` and `ls`. `readOnlyRoots` (the skill folders) are folders outside the
 * workspace that `read` alone may open by absolute path, behind the same fence.
 */
export function createReadTools(
  fence: WorkspaceFence,
  maxReadBytes: number,
  readOnlyRoots?: ReadOnlyRoots,
): AgentTool[] {
  return [createReadTool(createReadResolver(fence, readOnlyRoots), maxReadBytes), createLsTool(fence)];
}
