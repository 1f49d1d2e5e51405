import { CarapaceError } from '../shared/index.js';

/** One `@@` hunk of an update: `header` is the text after `@@` (a line to search from), if any. */
export interface PatchHunk {
  header: string | undefined;
  /** The lines of the file this hunk replaces (context and '-' lines). */
  oldLines: string[];
  /** What they become (context and '+' lines). */
  newLines: string[];
  /** `*** End of File`: the hunk must match at the end of the file. */
  atEnd: boolean;
}

/** One file operation of a patch. */
export type PatchOp =
  | { kind: 'add'; path: string; lines: string[] }
  | { kind: 'delete'; path: string }
  | { kind: 'update'; path: string; hunks: PatchHunk[] };

const BEGIN = '*** Begin Patch';
const END = '*** End Patch';
const ADD = '*** Add File: ';
const DELETE = '*** Delete File: ';
const UPDATE = '*** Update File: ';
const EOF_MARK = '*** End of File';

function fail(message: string, line: number): CarapaceError {
  return new CarapaceError('PATCH_INVALID', `invalid patch at line ${line}: ${message}`, {
    details: { line },
  });
}

function filePath(line: string, prefix: string, n: number): string {
  const path = line.slice(prefix.length).trim();
  if (path === '') throw fail(`'${prefix.trim()}' needs a path`, n);
  return path;
}

/**
 * Parse the patch format (see README.md): `*** Begin Patch`, then any number of `*** Add File: p` (lines
 * prefixed '+'), `*** Delete File: p`, `*** Update File: p` (hunks opened by `@@` or `@@ <line to
 * search from>`, lines prefixed ' ', '-' or '+', optionally closed by `*** End of File`), then `*** End
 * Patch`. An empty line inside a hunk counts as an empty context line. Throws PATCH_INVALID with a line number.
 */
export function parsePatch(text: string): PatchOp[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  let i = 0;
  while (i < lines.length && lines[i]!.trim() === '') i++;
  if (lines[i]?.trim() !== BEGIN) throw fail(`a patch starts with '${BEGIN}'`, i + 1);
  if (lines[lines.length - 1]?.trim() !== END) throw fail(`a patch ends with '${END}'`, lines.length);
  const last = lines.length - 1;
  i++;
  const ops: PatchOp[] = [];
  while (i < last) {
    const line = lines[i]!;
    const n = i + 1;
    if (line.startsWith(ADD)) {
      const path = filePath(line, ADD, n);
      const body: string[] = [];
      i++;
      while (i < last && !lines[i]!.startsWith('*** ')) {
        const l = lines[i]!;
        if (!l.startsWith('+')) throw fail(`every line of an added file starts with '+'`, i + 1);
        body.push(l.slice(1));
        i++;
      }
      ops.push({ kind: 'add', path, lines: body });
    } else if (line.startsWith(DELETE)) {
      ops.push({ kind: 'delete', path: filePath(line, DELETE, n) });
      i++;
    } else if (line.startsWith(UPDATE)) {
      const path = filePath(line, UPDATE, n);
      const parsed = parseHunks(lines, i + 1, last);
      if (parsed.hunks.length === 0) throw fail(`'${UPDATE.trim()} ${path}' has no hunks`, n);
      ops.push({ kind: 'update', path, hunks: parsed.hunks });
      i = parsed.next;
    } else if (line.trim() === '') {
      i++;
    } else {
      throw fail(
        `expected '${ADD.trim()}', '${UPDATE.trim()}' or '${DELETE.trim()}', got '${line.slice(0, 80)}'`,
        n,
      );
    }
  }
  if (ops.length === 0) throw fail('the patch changes no file', 1);
  const seen = new Set<string>();
  for (const op of ops) {
    if (seen.has(op.path)) throw fail(`'${op.path}' appears more than once`, 1);
    seen.add(op.path);
  }
  return ops;
}

function parseHunks(lines: string[], start: number, last: number): { hunks: PatchHunk[]; next: number } {
  const hunks: PatchHunk[] = [];
  let cur: PatchHunk | undefined;
  let i = start;
  const open = (header: string | undefined) => {
    cur = { header, oldLines: [], newLines: [], atEnd: false };
    hunks.push(cur);
  };
  for (; i < last; i++) {
    const line = lines[i]!;
    if (line.trim() === EOF_MARK) {
      if (!cur) throw fail(`'${EOF_MARK}' outside a hunk`, i + 1);
      cur.atEnd = true;
      cur = undefined;
      continue;
    }
    if (line.startsWith('*** ')) break;
    if (line.startsWith('@@')) {
      const header = line
        .replace(/^@@+/, '')
        .replace(/@@+\s*$/, '')
        .trim();
      open(header === '' ? undefined : header);
      continue;
    }
    if (!cur) open(undefined);
    const hunk = cur!;
    const body = line.slice(1);
    if (line === '' || line.startsWith(' ')) {
      hunk.oldLines.push(body);
      hunk.newLines.push(body);
    } else if (line.startsWith('-')) {
      hunk.oldLines.push(body);
    } else if (line.startsWith('+')) {
      hunk.newLines.push(body);
    } else {
      throw fail(`hunk lines start with ' ', '-' or '+', got '${line.slice(0, 80)}'`, i + 1);
    }
  }
  for (const h of hunks) {
    if (h.oldLines.length === 0 && h.newLines.length === 0) throw fail('empty hunk', start);
  }
  return { hunks, next: i };
}
