import { readFile as fsReadFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CarapaceError, errnoCode } from '../shared/index.js';
import type { SchemaNode } from './check.js';
import type { ConfigEnv } from './load.js';
import { isPlainObject, setOwn } from './merge.js';
import { ConfigSchema, type SecretRef } from './schema.js';
import { looksSecretKey } from './secret-keys.js';

/** What a secret is replaced with by redactConfig. */
export const REDACTED = '__REDACTED__';

/** `{ source: 'env', id }` or `{ source: 'file', path }`: where a secret lives, not the secret. */
export function isSecretRefObject(value: Record<string, unknown>): boolean {
  return (value.source === 'env' || value.source === 'file') && Object.keys(value).length === 2;
}

/** The schema node of `key` (an index for arrays) under `node`, through unions and records. */
export function childSchema(node: SchemaNode | undefined, key: string | number): SchemaNode | undefined {
  if (!node) return undefined;
  if (typeof key === 'number') return node.items;
  if (node.properties && Object.hasOwn(node.properties, key)) return node.properties[key];
  for (const branch of node.anyOf ?? []) {
    const found = childSchema(branch, key);
    if (found) return found;
  }
  return typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined;
}

/** True when the schema marks this node (or its string branch) `x-secret`. */
export function marksSecret(node: SchemaNode | undefined): boolean {
  if (!node) return false;
  if (node['x-secret'] === true) return true;
  return (node.anyOf ?? []).some((b) => b.type === 'string' && b['x-secret'] === true);
}

function redact(value: unknown, node: SchemaNode | undefined, secret: boolean): unknown {
  if (typeof value === 'string') return secret || marksSecret(node) ? REDACTED : value;
  if (Array.isArray(value))
    return value.map((v) => redact(v, childSchema(node, 0), secret || marksSecret(node)));
  if (isPlainObject(value)) {
    // `{ source: 'env', id }` and `{ source: 'file', path }` name where a secret lives; they are not secrets.
    const isRef = isSecretRefObject(value);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const inner = isRef ? false : secret || looksSecretKey(k);
      setOwn(out, k, redact(v, childSchema(node, k), inner));
    }
    return out;
  }
  return value;
}

/**
 * A deep copy of a config (effective, file or raw) with every secret string replaced by REDACTED: strings
 * under a schema node marked `x-secret`, and strings under keys that look secret (token, password, secret,
 * apiKey, botToken, signingSecret, privateKey …, at any depth). `{ source: 'env' | 'file', … }` references
 * stay visible. The input is not modified.
 */
export function redactConfig<T>(value: T): T {
  return redact(value, ConfigSchema as unknown as SchemaNode, false) as T;
}

/** Reads a file as UTF-8 (the port resolveSecret uses; a fake in tests). */
export type ReadTextFile = (path: string) => Promise<string>;

/**
 * The value of a secret: an inline string as is, `{ source: 'env', id }` from the environment,
 * `{ source: 'file', path }` from the file's contents (trimmed; `~/` is the home directory). A missing or
 * empty one throws SECRET_UNRESOLVED naming the variable or file.
 */
export async function resolveSecret(
  ref: SecretRef,
  env: ConfigEnv,
  readFile: ReadTextFile = (p) => fsReadFile(p, 'utf8'),
): Promise<string> {
  if (typeof ref === 'string') return ref;
  if (ref.source === 'env') {
    const value = env[ref.id];
    if (value !== undefined && value.trim() !== '') return value.trim();
    throw new CarapaceError(
      'SECRET_UNRESOLVED',
      `secret not found: environment variable ${ref.id} is not set`,
      {
        details: { source: 'env', id: ref.id },
      },
    );
  }
  const home = env.HOME;
  const path = home && ref.path.startsWith('~/') ? join(home, ref.path.slice(2)) : ref.path;
  let text: string;
  try {
    text = await readFile(path);
  } catch (err) {
    const why = errnoCode(err) === 'ENOENT' ? 'does not exist' : `cannot be read (${errnoCode(err) ?? err})`;
    throw new CarapaceError('SECRET_UNRESOLVED', `secret not found: file ${path} ${why}`, {
      details: { source: 'file', path },
      cause: err,
    });
  }
  const value = text.trim();
  if (value === '') {
    throw new CarapaceError('SECRET_UNRESOLVED', `secret not found: file ${path} is empty`, {
      details: { source: 'file', path },
    });
  }
  return value;
}
