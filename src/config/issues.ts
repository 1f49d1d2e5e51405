import { CarapaceError } from '../shared/index.js';

/** One problem in a config, with where it is and how to fix it. */
export interface ConfigIssue {
  /** Dotted path like `gateway.port` or `agents.list[0].id`; `root` for the whole document. */
  path: string;
  /** What was wrong. */
  message: string;
  /** How to fix it (closest known key, allowed values, expected type with an example …). */
  hint: string;
}

/** A path as segments: property names and array indexes. */
export type PathSegments = readonly (string | number)[];

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `['agents', 'list', 0, 'id']` → `agents.list[0].id`; `[]` → `root`; odd keys → `a["b.c"]`. */
export function formatPath(segments: PathSegments): string {
  let out = '';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out || 'root';
}

/**
 * Every issue on its own line, under a header naming the file:
 * `Invalid config in /x/carapace.json (2 problems):` then `  - gateway.port: must be … (hint: …)`.
 */
export function formatConfigIssues(issues: readonly ConfigIssue[], file?: string): string {
  const where = file ? ` in ${file}` : '';
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  const lines = issues.map((i) => `  - ${i.path}: ${i.message}${i.hint ? ` (hint: ${i.hint})` : ''}`);
  return [`Invalid config${where} (${count}):`, ...lines].join('\n');
}

/** The one error every config problem becomes: `CONFIG_INVALID` with `details: { issues, path }`. */
export function configInvalid(issues: ConfigIssue[], file?: string, cause?: unknown): CarapaceError {
  return new CarapaceError('CONFIG_INVALID', formatConfigIssues(issues, file), {
    details: { issues, path: file ?? null },
    cause,
  });
}

/** Edit distance where swapping two neighbouring characters counts as one edit (`prot` → `port`). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known name closest to `input` (case-insensitive edit distance), if it is plausibly a typo. */
export function closest(input: string, known: readonly string[]): string | undefined {
  const needle = input.toLowerCase();
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const name of known) {
    const hay = name.toLowerCase();
    let score = distance(needle, hay);
    if (score > 0 && needle.length >= 3 && (hay.includes(needle) || needle.includes(hay))) {
      score = Math.min(score, 1);
    }
    if (score < bestScore) {
      best = name;
      bestScore = score;
    }
  }
  const limit = Math.max(1, Math.floor(Math.max(needle.length, 3) / 3));
  return bestScore <= limit && bestScore < needle.length ? best : undefined;
}

/** `'a', 'b', 'c'` */
export function quoteList(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v))).join(', ');
}
