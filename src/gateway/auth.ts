import { createHash, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
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

/** True for addresses that never leave this host. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a === '::1' || a.startsWith('127.') || a === 'localhost';
}

/** The host to listen on for a `gateway.bind` value. */
export function bindHost(bind: string): string {
  if (bind === 'loopback' || bind === 'localhost') return '127.0.0.1';
  if (bind === 'lan' || bind === 'all') return '0.0.0.0';
  return bind;
}
