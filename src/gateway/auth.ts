import { createHash, timingSafeEqual } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Config, StatePaths } from '../config/index.js';
import { resolveSecret } from '../config/index.js';
import { CarapaceError, errnoCode, newToken, writeFileAtomic } from '../shared/index.js';

/** The shared secret the gateway checks on `connect`. */
export type GatewaySecret =
  | { mode: 'token'; value: string; source: 'config' | 'file' | 'generated' }
  | { mode: 'password'; value: string; source: 'config' }
  | { mode: 'none' };

/** Compare two secrets in constant time (hashing first hides the length too). */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/**
 * Read the gateway token file, creating it (0600 in a 0700 folder) with a fresh random token when absent.
 * Returns the token and whether it was generated now.
 */
export async function ensureGatewayToken(paths: StatePaths): Promise<{ token: string; generated: boolean }> {
  try {
    const token = (await readFile(paths.tokenPath, 'utf8')).trim();
    if (token.length > 0) return { token, generated: false };
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
  await mkdir(dirname(paths.tokenPath), { recursive: true, mode: 0o700 });
  await chmod(dirname(paths.tokenPath), 0o700);
  const token = newToken(32);
  await writeFileAtomic(paths.tokenPath, `${token}\n`, { mode: 0o600 });
  return { token, generated: true };
}

/** Work out the secret from config (inline or referenced) or the token file. */
export async function resolveGatewaySecret(
  config: Config,
  paths: StatePaths,
  env: NodeJS.ProcessEnv,
): Promise<GatewaySecret> {
  const auth = config.gateway.auth;
  if (auth.mode === 'none') return { mode: 'none' };
  if (auth.mode === 'password') {
    if (!auth.password) {
      throw new CarapaceError(
        'AUTH_MISCONFIGURED',
        "gateway.auth.mode is 'password' but gateway.auth.password is not set: set it (or CARAPACE_GATEWAY_PASSWORD), or use mode 'token'",
      );
    }
    return { mode: 'password', value: await resolveSecret(auth.password, env), source: 'config' };
  }
  if (auth.token) return { mode: 'token', value: await resolveSecret(auth.token, env), source: 'config' };
  const { token, generated } = await ensureGatewayToken(paths);
  return { mode: 'token', value: token, source: generated ? 'generated' : 'file' };
}

/**
 * The file the gateway secret is read from, when it is one: the generated token file, or a
 * `{ source: 'file' }` reference (`~/` = home). Undefined for inline and env secrets.
 */
export function secretFilePath(
  config: Config,
  paths: StatePaths,
  env: NodeJS.ProcessEnv,
): string | undefined {
  const auth = config.gateway.auth;
  if (auth.mode === 'none') return undefined;
  const ref = auth.mode === 'password' ? auth.password : auth.token;
  if (ref === undefined) return auth.mode === 'token' ? paths.tokenPath : undefined;
  if (typeof ref === 'string' || ref.source !== 'file') return undefined;
  return env.HOME && ref.path.startsWith('~/') ? join(env.HOME, ref.path.slice(2)) : ref.path;
}

/**
 * Call `onChange` (debounced) whenever `file` is written, replaced or removed: a token rotated by
 * replacing its file applies at once, like one changed in the config. Returns the stop function.
 */
export function watchSecretFile(file: string, onChange: () => void, debounceMs = 50): () => void {
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(file), { persistent: false }, (_event, name) => {
      if (name !== null && name !== basename(file)) return;
      clearTimeout(timer);
      timer = setTimeout(onChange, debounceMs);
      timer.unref();
    });
    watcher.on('error', () => undefined);
  } catch {
    // The folder is not there (yet): changes to it are picked up with the next config reload.
  }
  return () => {
    clearTimeout(timer);
    watcher?.close();
  };
}
