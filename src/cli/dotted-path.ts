import { usageError } from './context.js';

/** A config path as segments: property names and array indexes. */
export type Segments = (string | number)[];

/**
 * Parse `gateway.auth.mode`, `agents.list[0].id` or `a["odd.key"]` into segments. Throws a usage error
 * (exit 2) naming the problem for anything else.
 */
export function parseDottedPath(input: string): Segments {
  const out: Segments = [];
  const bad = (why: string) =>
    usageError(`invalid config path '${input}': ${why}; use dots and [index], e.g. agents.list[0].id`);
  let i = 0;
  let expectName = true;
  while (i < input.length) {
    const ch = input[i];
    if (ch === '[') {
      const close = input.indexOf(']', i);
      if (close < 0) throw bad('unclosed [');
      const inner = input.slice(i + 1, close);
      if (/^\d+$/.test(inner)) out.push(Number(inner));
      else if (/^"(?:[^"\\]|\\.)*"$/.test(inner)) out.push(JSON.parse(inner) as string);
      else throw bad(`[${inner}] is neither an index nor a quoted key`);
      i = close + 1;
      expectName = false;
    } else if (ch === '.') {
      if (expectName) throw bad('empty segment');
      i++;
      expectName = true;
    } else {
      if (!expectName) throw bad(`expected '.' or '[' before '${input.slice(i)}'`);
      const m = /^[^.[\]]+/.exec(input.slice(i));
      if (!m) throw bad(`unexpected '${ch}'`);
      out.push(m[0]);
      i += m[0].length;
      expectName = false;
    }
  }
  if (out.length === 0 || expectName) throw bad(out.length === 0 ? 'empty path' : 'ends with a dot');
  return out;
}

type Container = Record<string, unknown> | unknown[];
const isContainer = (v: unknown): v is Container => typeof v === 'object' && v !== null;

/** The value at `path`, or `undefined` when any step is missing. */
export function getAt(root: unknown, path: Segments): unknown {
  let node = root;
  for (const seg of path) {
    if (!isContainer(node)) return undefined;
    if (typeof seg === 'number') {
      if (!Array.isArray(node)) return undefined;
      node = node[seg];
    } else {
      if (Array.isArray(node) || !Object.hasOwn(node, seg)) return undefined;
      node = node[seg];
    }
  }
  return node;
}

/**
 * A copy of `root` with `value` at `path` (creating objects on the way), or without the key when
 * `value` is `undefined`. An index may address an existing element or append at the end.
 */
export function setAt(
  root: Record<string, unknown>,
  path: Segments,
  value: unknown,
): Record<string, unknown> {
  const copy = structuredClone(root);
  let node: Container = copy;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i] as string | number;
    const last = i === path.length - 1;
    const where = `at ${path.slice(0, i + 1).join('.')}`;
    if (typeof seg === 'number') {
      if (!Array.isArray(node))
        throw usageError(`cannot use an index ${where}: the value there is not a list`);
      if (seg > node.length)
        throw usageError(`index ${seg} is past the end of the list (${node.length} items)`);
      if (last) {
        if (value === undefined) node.splice(seg, 1);
        else node[seg] = value;
        return copy;
      }
      node[seg] ??= typeof path[i + 1] === 'number' ? [] : {};
      const next: unknown = node[seg];
      if (!isContainer(next)) throw usageError(`cannot set below ${where}: it is not an object`);
      node = next;
    } else {
      if (Array.isArray(node)) throw usageError(`expected an index ${where}: the value there is a list`);
      if (last) {
        if (value === undefined) delete node[seg];
        else
          Object.defineProperty(node, seg, { value, enumerable: true, writable: true, configurable: true });
        return copy;
      }
      if (!Object.hasOwn(node, seg) || node[seg] === null) {
        Object.defineProperty(node, seg, {
          value: typeof path[i + 1] === 'number' ? [] : {},
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      const next: unknown = node[seg];
      if (!isContainer(next)) throw usageError(`cannot set below ${where}: it is not an object`);
      node = next;
    }
  }
  return copy;
}

/** `{a:{b:value}}` for `a.b`: a JSON merge patch that sets one path (object keys only). */
export function patchFor(path: Segments, value: unknown): Record<string, unknown> | undefined {
  if (path.some((s) => typeof s === 'number')) return undefined;
  let patch: unknown = value;
  for (const seg of [...path].reverse()) {
    const level: Record<string, unknown> = {};
    Object.defineProperty(level, seg, { value: patch, enumerable: true, writable: true, configurable: true });
    patch = level;
  }
  return patch as Record<string, unknown>;
}
