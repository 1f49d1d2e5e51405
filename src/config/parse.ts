import JSON5 from 'json5';
import { nestedDeeperThan } from '../shared/index.js';
import { type ConfigIssue, configInvalid, formatPath, type PathSegments } from './issues.js';
import { isPlainObject, setOwn } from './merge.js';

/** The largest config file (or included file) accepted, in bytes. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** The deepest nesting accepted (the schema needs fewer than 10; merge and validation recurse). */
export const MAX_CONFIG_DEPTH = 64;

function syntaxIssue(err: unknown, file: string): ConfigIssue {
  const e = err as { message?: string; lineNumber?: number; columnNumber?: number };
  const line = e.lineNumber ?? 1;
  const column = e.columnNumber ?? 1;
  const what = (e.message ?? String(err)).replace(/^JSON5: /, '').replace(/ at \d+:\d+$/, '');
  return {
    path: 'root',
    message: `JSON5 syntax error in ${file} at line ${line}, column ${column}: ${what}`,
    hint: `look for a missing comma, quote, bracket or brace at or before line ${line}, column ${column}`,
  };
}

/**
 * Parse the text of a config file (JSON5: comments, trailing commas, unquoted keys). Returns the top-level
 * object, or throws CONFIG_INVALID naming the file, with line and column for a syntax error.
 */
export function parseConfigText(text: string, file: string): Record<string, unknown> {
  const body = text.replace(/^\uFEFF/, '');
  if (Buffer.byteLength(body) > MAX_CONFIG_BYTES) {
    const hint = `split it with $include or remove unused parts; the limit is ${MAX_CONFIG_BYTES} bytes`;
    throw configInvalid([{ path: 'root', message: `${file} is too large`, hint }], file);
  }
  if (body.trim() === '') {
    const message = `${file} is empty${body.length === 0 ? ' (0 bytes)' : ''}`;
    const hint = 'write {} for a config with every default, or delete the file';
    throw configInvalid([{ path: 'root', message, hint }], file);
  }
  let value: unknown;
  try {
    value = JSON5.parse(body);
  } catch (err) {
    throw configInvalid([syntaxIssue(err, file)], file, err);
  }
  if (nestedDeeperThan(value, MAX_CONFIG_DEPTH)) {
    const hint = `no setting is nested that deep: check the brackets (the limit is ${MAX_CONFIG_DEPTH} levels)`;
    throw configInvalid(
      [{ path: 'root', message: `${file} nests more than ${MAX_CONFIG_DEPTH} levels`, hint }],
      file,
    );
  }
  if (!isPlainObject(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value;
    const hint = 'the file must hold one object, e.g. { gateway: { port: 18789 } }';
    throw configInvalid([{ path: 'root', message: `${file} holds ${kind}, not an object`, hint }], file);
  }
  return value;
}

const PLACEHOLDER = /(\$?)\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

function substituteString(
  text: string,
  env: Record<string, string | undefined>,
  path: PathSegments,
  issues: ConfigIssue[],
): string {
  return text.replace(PLACEHOLDER, (whole, escaped: string, name: string) => {
    if (escaped) return whole.slice(1);
    const value = env[name];
    if (value !== undefined && value !== '') return value;
    issues.push({
      path: formatPath(path),
      message: `environment variable ${name} is not set (referenced as \${${name}})`,
      hint: `set ${name} in the gateway's environment, or write $\${${name}} for a literal \${${name}}`,
    });
    return whole;
  });
}

/**
 * Replace `${NAME}` in every string value with the environment variable NAME; `$${NAME}` stays as the
 * literal text `${NAME}`. An unset or empty variable is an issue at the string's path (the text is left as
 * it was). Keys are not substituted. Returns a new value.
 */
export function substituteEnv(
  value: unknown,
  env: Record<string, string | undefined>,
  issues: ConfigIssue[],
  path: PathSegments = [],
): unknown {
  if (typeof value === 'string') return substituteString(value, env, path, issues);
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, issues, [...path, i]));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) setOwn(out, k, substituteEnv(v, env, issues, [...path, k]));
    return out;
  }
  return value;
}
