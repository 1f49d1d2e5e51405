import { type ConfigIssue, closest, formatPath, type PathSegments, quoteList } from './issues.js';
import { cloneJson, isPlainObject, setOwn } from './merge.js';
import { looksSecretKey } from './secret-keys.js';

/** The JSON Schema keywords the config schema uses (TypeBox emits plain JSON Schema). */
export interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
  description?: string;
  'x-secret'?: boolean;
}

interface Ctx {
  path: PathSegments;
  /** Inside a secret: never echo the value in a message. */
  secret: boolean;
  out: ConfigIssue[];
}

/** What a node expects, by JSON Schema type. */
const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
  null: 'null',
};

/** What a value is, by its kind. */
const KIND_NAMES: Record<string, string> = {
  ...TYPE_NAMES,
  integer: 'a number',
  boolean: 'a boolean',
};

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** `a string ("abc")`, `an object`, `null` — the value itself only when short and not secret. */
function describeValue(value: unknown, secret: boolean): string {
  const kind = kindOf(value);
  const bare = KIND_NAMES[kind] ?? kind;
  if (secret || !['string', 'integer', 'number', 'boolean'].includes(kind)) return bare;
  const shown = JSON.stringify(value);
  return shown === undefined || shown.length > 40 ? bare : `${bare} (${shown})`;
}

/** `"tokn"` or `42` when short and not secret, else the kind (`a string`). */
function shortValue(value: unknown, secret: boolean): string {
  const shown = secret ? undefined : JSON.stringify(value);
  return shown !== undefined && shown.length <= 40 && typeof value !== 'object'
    ? shown
    : describeValue(value, true);
}

function example(node: SchemaNode): string {
  const d = node.default;
  if (d !== undefined && !(typeof d === 'object' && d !== null)) return JSON.stringify(d);
  if (node.const !== undefined) return JSON.stringify(node.const);
  switch (node.type) {
    case 'string':
      return '"text"';
    case 'integer':
    case 'number':
      return String(node.minimum ?? node.exclusiveMinimum ?? 1);
    case 'boolean':
      return 'true';
    case 'array':
      return '[]';
    case 'object':
      return objectExample(node.properties ?? {});
    default:
      return 'see schema/carapace.schema.json';
  }
}

function objectExample(props: Record<string, SchemaNode>): string {
  const tagged = Object.values(props).some((p) => p.const !== undefined);
  if (!tagged) {
    const keys = Object.keys(props);
    if (keys.length === 0) return '{}';
    return `{} (keys: ${keys.slice(0, 5).join(', ')}${keys.length > 5 ? ', …' : ''})`;
  }
  const fields = Object.entries(props).map(
    ([k, v]) => `${k}: ${v.const !== undefined ? JSON.stringify(v.const) : '"…"'}`,
  );
  return `{ ${fields.join(', ')} }`;
}

function describeBranch(node: SchemaNode): string {
  if (node.const !== undefined) return JSON.stringify(node.const);
  if (node.type === 'object' && node.properties) {
    const fields = Object.entries(node.properties).map(([k, v]) =>
      v.const !== undefined ? `${k}: ${JSON.stringify(v.const)}` : k,
    );
    return `{ ${fields.join(', ')} }`;
  }
  return TYPE_NAMES[node.type ?? ''] ?? 'a value';
}

function typeMatches(node: SchemaNode, value: unknown): boolean {
  if (node.anyOf) return node.anyOf.some((b) => typeMatches(b, value));
  if (node.const !== undefined) return typeof node.const === typeof value;
  const kind = kindOf(value);
  if (node.type === 'integer' || node.type === 'number') return kind === 'integer' || kind === 'number';
  return node.type === undefined || node.type === kind;
}

function add(ctx: Ctx, message: string, hint: string): void {
  ctx.out.push({ path: formatPath(ctx.path), message, hint });
}

function typeIssue(node: SchemaNode, value: unknown, ctx: Ctx): void {
  const want = TYPE_NAMES[node.type ?? ''] ?? 'a different value';
  const about = node.description ? ` — ${node.description}` : '';
  add(ctx, `must be ${want}, got ${describeValue(value, ctx.secret)}`, `e.g. ${example(node)}${about}`);
}

function child(ctx: Ctx, seg: string | number): Ctx {
  const secret = ctx.secret || (typeof seg === 'string' && looksSecretKey(seg));
  return { path: [...ctx.path, seg], secret, out: ctx.out };
}

function unknownKey(node: SchemaNode, key: string, ctx: Ctx): void {
  const known = Object.keys(node.properties ?? {});
  const where = ctx.path.length ? formatPath(ctx.path) : 'the top level';
  const guess = key === '$include' ? undefined : closest(key, known);
  const lead =
    key === '$include'
      ? '$include is only allowed at the top level of a file; '
      : guess
        ? `did you mean '${guess}'? `
        : 'remove it or fix its spelling; ';
  const allowed = known.length ? `allowed keys in ${where}: ${known.join(', ')}` : `${where} takes no keys`;
  add(child(ctx, key), `unknown key '${key}'`, `${lead}${allowed}`);
}

function checkObject(node: SchemaNode, value: unknown, ctx: Ctx): unknown {
  if (!isPlainObject(value)) {
    typeIssue(node, value, ctx);
    return value;
  }
  const props = node.properties ?? {};
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const sub = Object.hasOwn(props, key) ? props[key] : undefined;
    const extra = node.additionalProperties;
    if (sub) setOwn(out, key, checkNode(sub, v, child(ctx, key)));
    else if (extra === false) unknownKey(node, key, ctx);
    else if (typeof extra === 'object') setOwn(out, key, checkNode(extra, v, child(ctx, key)));
    else setOwn(out, key, cloneJson(v));
  }
  for (const [key, sub] of Object.entries(props)) {
    if (Object.hasOwn(value, key)) continue;
    if (sub.default !== undefined) setOwn(out, key, checkNode(sub, cloneJson(sub.default), child(ctx, key)));
    else if (node.required?.includes(key)) {
      const about = sub.description ? ` (${sub.description})` : '';
      add(child(ctx, key), `missing required key '${key}'`, `add ${key}: ${example(sub)}${about}`);
    }
  }
  return out;
}

function checkArray(node: SchemaNode, value: unknown, ctx: Ctx): unknown {
  if (!Array.isArray(value)) {
    typeIssue(node, value, ctx);
    return value;
  }
  if (node.minItems !== undefined && value.length < node.minItems) {
    add(ctx, `must have at least ${node.minItems} item(s), has ${value.length}`, 'add the missing items');
  }
  if (node.maxItems !== undefined && value.length > node.maxItems) {
    add(ctx, `must have at most ${node.maxItems} item(s), has ${value.length}`, 'remove some items');
  }
  return value.map((item, i) => (node.items ? checkNode(node.items, item, child(ctx, i)) : cloneJson(item)));
}

function checkString(node: SchemaNode, value: string, ctx: Ctx): void {
  if (node.minLength !== undefined && value.length < node.minLength) {
    if (node.minLength === 1) add(ctx, 'must not be empty', `use a non-empty value, e.g. ${example(node)}`);
    else add(ctx, `must be at least ${node.minLength} characters`, 'use a longer value');
  }
  if (node.maxLength !== undefined && value.length > node.maxLength) {
    add(ctx, `must be at most ${node.maxLength} characters`, 'use a shorter value');
  }
  if (node.pattern !== undefined && !new RegExp(node.pattern, 'u').test(value)) {
    const shown = ctx.secret ? '' : ` ${JSON.stringify(value)}`;
    add(ctx, `value${shown} has the wrong format`, node.description ?? `must match /${node.pattern}/`);
  }
}

function checkNumber(node: SchemaNode, value: number, ctx: Ctx): void {
  const { minimum: min, maximum: max, exclusiveMinimum: xmin, exclusiveMaximum: xmax } = node;
  const range = [
    min !== undefined ? `>= ${min}` : xmin !== undefined ? `> ${xmin}` : '',
    max !== undefined ? `<= ${max}` : xmax !== undefined ? `< ${xmax}` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  const low = (min !== undefined && value < min) || (xmin !== undefined && value <= xmin);
  const high = (max !== undefined && value > max) || (xmax !== undefined && value >= xmax);
  if (low || high) {
    const dflt = node.default !== undefined ? ` (default ${JSON.stringify(node.default)})` : '';
    add(ctx, `${value} is out of range`, `must be ${range}${dflt}`);
  }
}

function checkUnion(node: SchemaNode, branches: SchemaNode[], value: unknown, ctx: Ctx): unknown {
  if (branches.every((b) => b.const !== undefined)) {
    const allowed = branches.map((b) => b.const);
    if (allowed.includes(value)) return value;
    const names = allowed.filter((a): a is string => typeof a === 'string');
    const guess = typeof value === 'string' ? closest(value, names) : undefined;
    const lead = guess ? `did you mean '${guess}'? ` : '';
    add(
      ctx,
      `${shortValue(value, ctx.secret)} is not an allowed value`,
      `${lead}allowed values: ${quoteList(allowed)}`,
    );
    return value;
  }
  const candidates = branches.filter((b) => typeMatches(b, value));
  if (candidates.length === 0) {
    const kinds = branches.map(describeBranch).join(' or ');
    const about = node.description ? ` — ${node.description}` : '';
    add(
      ctx,
      `must be ${kinds}, got ${describeValue(value, ctx.secret)}`,
      `e.g. ${branches.map(example).join(' or ')}${about}`,
    );
    return value;
  }
  if (badTag(branches, candidates, value, ctx)) return value;
  let best: { issues: ConfigIssue[]; result: unknown; score: number } | undefined;
  for (const branch of candidates) {
    const trial: ConfigIssue[] = [];
    const result = checkNode(branch, value, { ...ctx, out: trial });
    if (trial.length === 0) return result;
    const score = discriminates(branch, value) * 1000 - trial.length;
    if (!best || score > best.score) best = { issues: trial, result, score };
  }
  ctx.out.push(...best!.issues);
  return best!.result;
}

/**
 * For a tagged union of objects (`{ source: 'env', … } | { source: 'file', … }`): when the tag itself is
 * missing or unknown, that is the one problem to report, not every branch's complaints.
 */
function badTag(branches: SchemaNode[], candidates: SchemaNode[], value: unknown, ctx: Ctx): boolean {
  const objects = candidates.filter((b) => b.type === 'object' && b.properties);
  if (!isPlainObject(value) || objects.length < 2) return false;
  const first = objects[0]!.properties!;
  const tag = Object.keys(first).find((k) => objects.every((b) => b.properties![k]?.const !== undefined));
  if (tag === undefined) return false;
  const allowed = objects.map((b) => b.properties![tag]!.const);
  if (allowed.includes(value[tag])) return false;
  const others = branches.filter((b) => b.type !== 'object').map(describeBranch);
  const alt = others.length ? ` (or ${others.join(' or ')} instead of an object)` : '';
  if (!Object.hasOwn(value, tag)) {
    add(child(ctx, tag), `missing required key '${tag}'`, `add ${tag}: one of ${quoteList(allowed)}${alt}`);
  } else {
    const shown = shortValue(value[tag], false);
    add(child(ctx, tag), `${shown} is not an allowed value`, `allowed values: ${quoteList(allowed)}${alt}`);
  }
  return true;
}

/** How many literal-valued properties of an object branch the value matches (a tag like `source`). */
function discriminates(branch: SchemaNode, value: unknown): number {
  if (!isPlainObject(value) || !branch.properties) return 0;
  let n = 0;
  for (const [k, sub] of Object.entries(branch.properties)) {
    if (sub.const !== undefined && value[k] === sub.const) n++;
  }
  return n;
}

function checkNode(node: SchemaNode, value: unknown, ctx: Ctx): unknown {
  if (node.anyOf) return checkUnion(node, node.anyOf, value, ctx);
  if (node.const !== undefined) {
    if (value !== node.const) {
      const want = JSON.stringify(node.const);
      const key = ctx.path[ctx.path.length - 1];
      const fix = typeof key === 'string' ? `write ${key}: ${want}` : `use ${want}`;
      add(ctx, `must be ${want}, got ${describeValue(value, ctx.secret)}`, fix);
    }
    return value;
  }
  switch (node.type) {
    case 'object':
      return checkObject(node, value, ctx);
    case 'array':
      return checkArray(node, value, ctx);
    case 'string':
      if (typeof value !== 'string') typeIssue(node, value, ctx);
      else checkString(node, value, ctx);
      return value;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) typeIssue(node, value, ctx);
      else if (node.type === 'integer' && !Number.isInteger(value)) {
        add(ctx, `must be a whole number, got ${value}`, `e.g. ${example(node)}`);
      } else checkNumber(node, value, ctx);
      return value;
    case 'boolean':
    case 'null':
      if (kindOf(value) !== node.type) typeIssue(node, value, ctx);
      return value;
    default:
      return cloneJson(value);
  }
}

/**
 * Check `value` against `schema`, collecting every problem (not just the first) with a path and a hint,
 * and return a copy with schema defaults filled in wherever a key is missing.
 */
export function checkAgainstSchema(
  schema: unknown,
  value: unknown,
): { value: unknown; issues: ConfigIssue[] } {
  const out: ConfigIssue[] = [];
  const result = checkNode(schema as SchemaNode, value, { path: [], secret: false, out });
  return { value: result, issues: out };
}
