type Version = [number, number, number];

function parse(text: string): Version | undefined {
  const m = /^v?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?$/.exec(text.trim());
  if (!m) return undefined;
  const n = (s: string | undefined) => (s === undefined || s === 'x' || s === '*' ? 0 : Number(s));
  return [Number(m[1]), n(m[2]), n(m[3])];
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

function satisfiesOne(v: Version, comparator: string): boolean | undefined {
  const m = /^(>=|<=|>|<|=|\^|~)?\s*(.+)$/.exec(comparator);
  const target = m?.[2] ? parse(m[2]) : undefined;
  if (!m || !target) return undefined;
  const c = compare(v, target);
  switch (m[1]) {
    case '>=':
      return c >= 0;
    case '>':
      return c > 0;
    case '<=':
      return c <= 0;
    case '<':
      return c < 0;
    case '^':
      return c >= 0 && v[0] === target[0];
    case '~':
      return c >= 0 && v[0] === target[0] && v[1] === target[1];
    default:
      return c === 0 || (comparator.split('.').length < 3 && v[0] === target[0]);
  }
}

/**
 * Does `version` (e.g. `20.20.2`) satisfy an `engines` range such as `>=20.19`, `>=20.19 <25` or
 * `^20.19 || >=22`? Undefined when the range uses syntax this small reader does not know.
 */
export function satisfiesRange(version: string, range: string): boolean | undefined {
  const v = parse(version);
  if (!v) return undefined;
  let unknown = false;
  for (const alternative of range.split('||')) {
    const comparators = alternative
      .trim()
      .replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1')
      .split(/\s+/)
      .filter(Boolean);
    const results = comparators.map((c) => satisfiesOne(v, c));
    if (results.some((r) => r === undefined)) {
      unknown = true;
      continue;
    }
    if (results.every((r) => r === true)) return true;
  }
  return unknown ? undefined : false;
}
