import { chmod } from 'node:fs/promises';
import { backupFile, CarapaceError, writeFileAtomic } from '../shared/index.js';
import { configInvalid } from './issues.js';
import { type ConfigEnv, hashConfigText, readConfigText, resolveDocument } from './load.js';
import { isPlainObject } from './merge.js';
import type { StatePaths } from './paths.js';
import { validateConfig } from './validate.js';

export interface WriteConfigOptions {
  /** The hash the caller's edit is based on (from loadConfig); a different file on disk is refused. */
  baseHash?: string;
  /** For `${VAR}` while validating; defaults to `process.env`. */
  env?: ConfigEnv;
}

/**
 * Replace the config file with `next` (the document as it should be on disk: `$include` and `${VAR}` are
 * kept as written). Order: validate (with includes and variables resolved) — an invalid document throws
 * CONFIG_INVALID and nothing is written; compare `baseHash` with the file's current hash —
 * CONFIG_HASH_MISMATCH (details: { expected, actual }) when it changed; copy the old file to
 * `carapace.json.bak` (0600); write pretty JSON atomically with mode 0600.
 */
export async function writeConfigFile(
  paths: StatePaths,
  next: Record<string, unknown>,
  opts: WriteConfigOptions = {},
): Promise<{ hash: string; backupPath?: string }> {
  const file = paths.configPath;
  if (!isPlainObject(next)) {
    const hint = 'pass the whole config as an object, e.g. { gateway: { port: 18789 } }';
    throw configInvalid([{ path: 'root', message: 'the config must be an object', hint }], file);
  }
  const doc = await resolveDocument(next, file, opts.env ?? process.env);
  const result = validateConfig(doc.value);
  const issues = [...doc.issues, ...(result.ok ? [] : result.issues)];
  if (issues.length > 0) throw configInvalid(issues, file);

  const current = await readConfigText(file);
  const actual = hashConfigText(current ?? '');
  if (opts.baseHash !== undefined && opts.baseHash !== actual) {
    throw new CarapaceError(
      'CONFIG_HASH_MISMATCH',
      `${file} changed since it was read (expected hash ${opts.baseHash}, found ${actual}); reload it and try again`,
      { details: { expected: opts.baseHash, actual } },
    );
  }
  const backupPath = current === undefined ? undefined : await backupFile(file);
  if (backupPath) await chmod(backupPath, 0o600);
  const text = `${JSON.stringify(next, null, 2)}\n`;
  await writeFileAtomic(file, text, { mode: 0o600 });
  await chmod(file, 0o600);
  return backupPath ? { hash: hashConfigText(text), backupPath } : { hash: hashConfigText(text) };
}
