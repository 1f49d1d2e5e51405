import { CarapaceError } from '../shared/index.js';
import type { PatchHunk } from './patch-parse.js';

type Norm = (s: string) => string;
// Exact first; then ignoring trailing whitespace; then ignoring indentation too.
const LEVELS: readonly Norm[] = [(s) => s, (s) => s.trimEnd(), (s) => s.trim()];

function fail(path: string, k: number, message: string): CarapaceError {
  return new CarapaceError('PATCH_MISMATCH', `'${path}' hunk ${k}: ${message}`, {
    details: { path, hunk: k },
  });
}

function matchesAt(lines: string[], old: string[], at: number, norm: Norm): boolean {
  for (let i = 0; i < old.length; i++) if (norm(lines[at + i]!) !== norm(old[i]!)) return false;
  return true;
}

/** Start indexes where `old` matches from `from` on, at the first strictness level that finds any. */
function findAll(lines: string[], old: string[], from: number, atEnd: boolean): number[] {
  for (const norm of LEVELS) {
    const found: number[] = [];
    if (atEnd) {
      const at = lines.length - old.length;
      if (at >= from && matchesAt(lines, old, at, norm)) found.push(at);
    } else {
      for (let at = from; at + old.length <= lines.length; at++)
        if (matchesAt(lines, old, at, norm)) found.push(at);
    }
    if (found.length > 0) return found;
  }
  return [];
}

function findHeader(lines: string[], header: string, from: number): number {
  const want = header.trim();
  for (let j = from; j < lines.length; j++) if (lines[j]!.trim() === want) return j;
  for (let j = from; j < lines.length; j++) if (lines[j]!.includes(want)) return j;
  return -1;
}

function preview(line: string | undefined): string {
  const s = (line ?? '').trim();
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

/**
 * Apply update hunks to a file's text, in order, each searched from where the previous one ended (and from
 * its `@@` line when it has one). A hunk whose lines match nowhere, or in several places, fails with
 * PATCH_MISMATCH naming the hunk and the lines. Line endings (LF or CRLF) and a final newline are kept.
 */
export function applyHunks(text: string, hunks: readonly PatchHunk[], path: string): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  const finalNewline = lines.length > 1 && lines[lines.length - 1] === '';
  if (finalNewline || text === '') lines.pop();
  let cursor = 0;
  hunks.forEach((h, index) => {
    const k = index + 1;
    let from = cursor;
    if (h.header !== undefined) {
      const j = findHeader(lines, h.header, cursor);
      if (j < 0) throw fail(path, k, `the @@ line '${preview(h.header)}' was not found`);
      from = j;
    }
    if (h.oldLines.length === 0) {
      const at = h.atEnd || h.header === undefined ? lines.length : from + 1;
      lines.splice(at, 0, ...h.newLines);
      cursor = at + h.newLines.length;
      return;
    }
    const found = findAll(lines, h.oldLines, from, h.atEnd);
    if (found.length === 0) {
      throw fail(
        path,
        k,
        `the ${h.oldLines.length} context/removed lines were not found (first: '${preview(h.oldLines[0])}'); ` +
          'read the file again and copy the lines exactly',
      );
    }
    if (found.length > 1) {
      const at = found.slice(0, 10).map((x) => x + 1);
      throw fail(
        path,
        k,
        `matches ${found.length} places (lines ${at.join(', ')}); add context lines or an @@ line`,
      );
    }
    const at = found[0]!;
    lines.splice(at, h.oldLines.length, ...h.newLines);
    cursor = at + h.newLines.length;
  });
  if (lines.length === 0) return '';
  return lines.join(eol) + (finalNewline || text === '' ? eol : '');
}
