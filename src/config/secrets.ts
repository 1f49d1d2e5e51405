import type { SchemaNode } from './check.js';
import type { ConfigEnv } from './load.js';
import { isPlainObject } from './merge.js';
import { childSchema, isSecretRefObject, marksSecret, type ReadTextFile, resolveSecret } from './redact.js';
import { ConfigSchema, type SecretRef } from './schema.js';
import { looksSecretKey } from './secret-keys.js';

/** One secret a config holds or references, with the dotted path where it sits. */
export interface ConfigSecretRef {
  path: string;
  ref: SecretRef;
}

function walk(
  value: unknown,
  node: SchemaNode | undefined,
  path: string,
  secret: boolean,
  out: ConfigSecretRef[],
) {
  const here = secret || marksSecret(node);
  if (typeof value === 'string') {
    if (here && value !== '') out.push({ path, ref: value });
    return;
  }
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) walk(v, childSchema(node, 0), `${path}[${i}]`, here, out);
    return;
  }
  if (!isPlainObject(value)) return;
  if (isSecretRefObject(value)) {
    if (here) out.push({ path, ref: value as SecretRef });
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    walk(v, childSchema(node, k), path ? `${path}.${k}` : k, here || looksSecretKey(k), out);
  }
}

/**
 * Every secret of a config, inline or referenced: strings and `{ source: 'env' | 'file' }` refs under a
 * schema node marked `x-secret` or a key that looks secret (`token`, `apiKey`, `botToken` …, at any depth).
 */
export function findConfigSecrets(config: unknown): ConfigSecretRef[] {
  const out: ConfigSecretRef[] = [];
  walk(config, ConfigSchema as unknown as SchemaNode, '', false, out);
  return out;
}

/**
 * The values of every secret of a config (refs resolved from `env` and files), for the redactor. A ref
 * that cannot be resolved is skipped: whoever needs it reports that; there is nothing to mask yet.
 */
export async function collectConfigSecrets(
  config: unknown,
  env: ConfigEnv,
  readFile?: ReadTextFile,
): Promise<string[]> {
  const values = new Set<string>();
  for (const { ref } of findConfigSecrets(config)) {
    try {
      values.add(await resolveSecret(ref, env, readFile));
    } catch {
      // unresolvable: nothing to redact
    }
  }
  return [...values];
}
