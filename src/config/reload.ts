import { formatPath, type PathSegments } from './issues.js';
import { isPlainObject } from './merge.js';
import { type Config, restartPaths } from './schema.js';

/** What changed between two configs and how each change can be applied. */
export interface ReloadPlan {
  /** Every changed path (dotted, leaves where possible), sorted. */
  changed: string[];
  /** Changed paths that apply without a restart. */
  hot: string[];
  /** Changed paths under an `x-reload: 'restart'` node: the gateway must restart to apply them. */
  restart: string[];
}

function diff(a: unknown, b: unknown, path: PathSegments, out: string[]): void {
  if (Object.is(a, b)) return;
  if (isPlainObject(a) && isPlainObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      diff(
        Object.hasOwn(a, key) ? a[key] : undefined,
        Object.hasOwn(b, key) ? b[key] : undefined,
        [...path, key],
        out,
      );
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (let i = 0; i < a.length; i++) diff(a[i], b[i], [...path, i], out);
    return;
  }
  out.push(formatPath(path));
}

/** The dotted paths at which two JSON-like values differ. */
export function changedPaths(prev: unknown, next: unknown): string[] {
  const out: string[] = [];
  diff(prev, next, [], out);
  return out.sort();
}

function under(path: string, root: string): boolean {
  return (
    path === root || path.startsWith(`${root}.`) || path.startsWith(`${root}[`) || root.startsWith(`${path}.`)
  );
}

/**
 * Compare two effective configs. A change at or under a path annotated `x-reload: 'restart'` in the schema
 * (see restartPaths) needs a restart; every other change reloads hot.
 */
export function planReload(prev: Config, next: Config): ReloadPlan {
  const roots = restartPaths();
  const changed = changedPaths(prev, next);
  const restart = changed.filter((p) => roots.some((r) => under(p, r)));
  return { changed, hot: changed.filter((p) => !restart.includes(p)), restart };
}
