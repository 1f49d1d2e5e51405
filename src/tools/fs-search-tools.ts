import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import Type from 'typebox';
import type { AgentTool } from '../agent/index.js';
import { CarapaceError } from '../shared/index.js';
import { defineTool } from './define-tool.js';
import type { FencedPath, WorkspaceFence } from './fence.js';
import { looksBinary, openForRead } from './fs-io.js';
import { createGlobMatcher } from './glob.js';
import { runTool } from './tool-result.js';

/** Directories the walkers never enter. */
export const SKIPPED_DIRS: readonly string[] = ['.git', 'node_modules'];
/** Most directory entries one find/grep call looks at. */
export const MAX_WALK_ENTRIES = 50_000;
const MAX_LINE_CHARS = 300;
const MAX_TEST_CHARS = 10_000;

interface WalkEntry {
  real: string;
  /** Relative to the directory walked, '/'-separated. */
  rel: string;
  kind: 'file' | 'dir' | 'symlink' | 'other';
}

interface Walk {
  entries: WalkEntry[];
  truncated: boolean;
}

function kindOf(d: Dirent): WalkEntry['kind'] {
  if (d.isSymbolicLink()) return 'symlink';
  if (d.isDirectory()) return 'dir';
  return d.isFile() ? 'file' : 'other';
}

/** Depth-first, sorted, never following symlinks and skipping SKIPPED_DIRS. */
async function walk(dir: string): Promise<Walk> {
  const entries: WalkEntry[] = [];
  const stack: { real: string; rel: string }[] = [{ real: dir, rel: '' }];
  let seen = 0;
  while (stack.length > 0) {
    const cur = stack.pop()!;
    let list: Dirent[];
    try {
      list = await readdir(cur.real, { withFileTypes: true });
    } catch {
      continue;
    }
    list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirs: { real: string; rel: string }[] = [];
    for (const d of list) {
      if (++seen > MAX_WALK_ENTRIES) return { entries, truncated: true };
      const rel = cur.rel ? `${cur.rel}/${d.name}` : d.name;
      const kind = kindOf(d);
      if (kind === 'dir' && SKIPPED_DIRS.includes(d.name)) continue;
      entries.push({ real: join(cur.real, d.name), rel, kind });
      if (kind === 'dir') subdirs.push({ real: join(cur.real, d.name), rel });
    }
    stack.push(...subdirs.reverse());
  }
  return { entries, truncated: false };
}

function joinDisplay(base: FencedPath, rel: string): string {
  return base.display === '.' ? rel : `${base.display}/${rel}`;
}

function createFindTool(fence: WorkspaceFence): AgentTool {
  return defineTool({
    name: 'find',
    description:
      'Find files and directories in the workspace by glob pattern: `**` spans directories, `*` and `?` stay ' +
      'within one name, `{a,b}` alternatives, `[abc]` classes. A pattern without "/" matches names at any ' +
      `depth (e.g. "*.ts"). Symlinks are listed but not followed; ${SKIPPED_DIRS.join(' and ')} are skipped. ` +
      "Results are relative to the workspace; directories end with '/'.",
    parameters: Type.Object(
      {
        pattern: Type.String({ minLength: 1, description: 'Glob pattern, e.g. "src/**/*.ts".' }),
        path: Type.Optional(Type.String({ minLength: 1, description: 'Directory to search (default ".").' })),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 500 })),
      },
      { additionalProperties: false },
    ),
    execute: (args) =>
      runTool(async () => {
        const base = await fence.resolveExisting(args.path ?? '.');
        if (!(await stat(base.real)).isDirectory()) {
          return { content: `'${base.display}' is not a directory.`, isError: true };
        }
        const match = createGlobMatcher(args.pattern);
        const limit = args.limit ?? 500;
        const { entries, truncated } = await walk(base.real);
        const hits = entries.filter((e) => match(e.rel)).sort((a, b) => (a.rel < b.rel ? -1 : 1));
        if (hits.length === 0) return { content: `No files match '${args.pattern}' in '${base.display}'.` };
        const lines = hits
          .slice(0, limit)
          .map((e) => joinDisplay(base, e.rel) + (e.kind === 'dir' ? '/' : ''));
        let text = lines.join('\n');
        if (hits.length > limit)
          text += `\n\n[${hits.length - limit} more matches not shown; narrow the pattern]`;
        if (truncated) text += `\n\n[stopped after ${MAX_WALK_ENTRIES} entries; search a smaller directory]`;
        return { content: text };
      }),
  }) as AgentTool;
}

interface GrepState {
  out: string[];
  limit: number;
  searched: number;
  skipped: number;
}

async function grepFile(
  fence: WorkspaceFence,
  file: FencedPath,
  re: RegExp,
  maxBytes: number,
  s: GrepState,
  strict = false,
): Promise<void> {
  let text: string;
  try {
    const { handle, stat: st } = await openForRead(fence, file);
    try {
      if (st.size > maxBytes) {
        if (strict)
          throw new CarapaceError('FILE_TOO_LARGE', `'${file.display}' is larger than ${maxBytes} bytes`);
        s.skipped++;
        return;
      }
      const bytes = await handle.readFile();
      if (looksBinary(bytes)) return;
      text = bytes.toString('utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    // A file named explicitly reports why it was refused; files met while walking are counted as skipped.
    if (strict) throw err;
    s.skipped++;
    return;
  }
  s.searched++;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length && s.out.length < s.limit + 1; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (!re.test(line.length > MAX_TEST_CHARS ? line.slice(0, MAX_TEST_CHARS) : line)) continue;
    const shown = line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line;
    s.out.push(`${file.display}:${i + 1}: ${shown}`);
  }
}

function createGrepTool(fence: WorkspaceFence, maxBytes: number): AgentTool {
  return defineTool({
    name: 'grep',
    description:
      'Search file contents in the workspace with a JavaScript regular expression. Results are ' +
      '"path:line: text" (lines cut at 300 characters). `path` may be a file or a directory; `glob` filters file ' +
      `names (e.g. "*.ts"). Binary files, files over ${maxBytes} bytes, symlinks and hard-linked files are ` +
      `skipped, as are ${SKIPPED_DIRS.join(' and ')}.`,
    parameters: Type.Object(
      {
        pattern: Type.String({ minLength: 1, description: 'Regular expression (JavaScript syntax).' }),
        path: Type.Optional(Type.String({ minLength: 1, description: 'File or directory (default ".").' })),
        glob: Type.Optional(Type.String({ minLength: 1, description: 'Only files matching this glob.' })),
        ignore_case: Type.Optional(Type.Boolean({ description: 'Case-insensitive match.' })),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 2000, default: 100 })),
      },
      { additionalProperties: false },
    ),
    execute: (args) =>
      runTool(async () => {
        let re: RegExp;
        try {
          re = new RegExp(args.pattern, args.ignore_case ? 'i' : '');
        } catch (err) {
          return { content: `invalid regular expression: ${(err as Error).message}`, isError: true };
        }
        const base = await fence.resolveExisting(args.path ?? '.');
        const s: GrepState = { out: [], limit: args.limit ?? 100, searched: 0, skipped: 0 };
        let truncated = false;
        if ((await stat(base.real)).isDirectory()) {
          const match = args.glob ? createGlobMatcher(args.glob) : () => true;
          const w = await walk(base.real);
          truncated = w.truncated;
          for (const e of w.entries) {
            if (s.out.length > s.limit) break;
            if (e.kind !== 'file' || !match(e.rel)) continue;
            await grepFile(fence, { real: e.real, display: joinDisplay(base, e.rel) }, re, maxBytes, s);
          }
        } else {
          await grepFile(fence, base, re, maxBytes, s, true);
        }
        if (s.out.length === 0) {
          return {
            content: `No matches for /${args.pattern}/ in '${base.display}' (${s.searched} files searched).`,
          };
        }
        let text = s.out.slice(0, s.limit).join('\n');
        if (s.out.length > s.limit)
          text += `\n\n[limit of ${s.limit} matches reached; narrow the pattern or path]`;
        if (truncated) text += `\n\n[stopped after ${MAX_WALK_ENTRIES} entries; search a smaller directory]`;
        if (s.skipped > 0) text += `\n[${s.skipped} files skipped (too large, hard-linked or unreadable)]`;
        return { content: text };
      }),
  }) as AgentTool;
}

/** The search tools: `find` (glob) and `grep` (regex). */
export function createSearchTools(fence: WorkspaceFence, maxReadBytes: number): AgentTool[] {
  return [createFindTool(fence), createGrepTool(fence, maxReadBytes)];
}
