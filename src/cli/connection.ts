import type { ClientEnv, StatePaths } from '../config/index.js';
import { normalizeGatewayUrl } from './client/index.js';
import { readLocalGatewayInfo } from './local-state.js';

/** Connection flags shared by every command that talks to a gateway. */
export interface ConnectionFlags {
  url?: string | undefined;
  token?: string | undefined;
  password?: string | undefined;
}

/** Where to connect and with which secret, and where each came from (for messages). */
export interface ConnectionSettings {
  url: string;
  token: string | undefined;
  password: string | undefined;
  urlSource: 'flag' | 'env' | 'local';
  secretSource: 'flag' | 'env' | 'local' | 'none';
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** True when the URL points at this machine: the only place local secrets are sent without asking. */
export function isLoopbackUrl(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return LOOPBACK_HOSTS.has(host) || host.startsWith('127.');
  } catch {
    return false;
  }
}

/**
 * Connection settings. Precedence: flags > environment (`CARAPACE_GATEWAY_*`, `OPENCLAW_GATEWAY_*`) >
 * local state (lock file and config for the port, the token file or config for the secret).
 * Local secrets are only used for a loopback URL, so `--url` to another host never leaks the local token.
 */
export async function resolveConnection(
  flags: ConnectionFlags,
  env: ClientEnv,
  paths: StatePaths,
): Promise<ConnectionSettings> {
  const explicitUrl = flags.url ?? env.url;
  const urlSource = flags.url ? 'flag' : env.url ? 'env' : 'local';
  // Credentials come as a set: a flag replaces both environment secrets, not just its own kind.
  const fromFlags = Boolean(flags.token || flags.password);
  const token = (fromFlags ? flags.token : env.token) || undefined;
  const password = (fromFlags ? flags.password : env.password) || undefined;
  const explicitSecret = token !== undefined || password !== undefined;
  const secretSource = fromFlags ? 'flag' : explicitSecret ? 'env' : 'none';

  const url = explicitUrl ? normalizeGatewayUrl(explicitUrl) : undefined;
  // Local secrets go only to the gateway the local state describes, or to an explicit loopback URL.
  const mayUseLocalSecret = !explicitSecret && (!url || isLoopbackUrl(url));
  if (url && !mayUseLocalSecret) return { url, token, password, urlSource, secretSource };
  const local = await readLocalGatewayInfo(paths);
  const finalUrl = url ?? `ws://${local.host}:${local.port}`;
  if (!mayUseLocalSecret) return { url: finalUrl, token, password, urlSource, secretSource };
  const found = local.token !== undefined || local.password !== undefined;
  return {
    url: finalUrl,
    token: local.token,
    password: local.password,
    urlSource,
    secretSource: found ? 'local' : 'none',
  };
}
