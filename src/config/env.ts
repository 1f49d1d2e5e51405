import { setOwn } from './merge.js';

/** One `CARAPACE_*` environment variable and the config path it sets. */
export interface EnvOverride {
  name: string;
  /** Dotted config path. */
  path: string;
  kind: 'string' | 'integer';
}

/** The environment variables layered over the file (and under CLI overrides). */
export const ENV_OVERRIDES: readonly EnvOverride[] = [
  { name: 'CARAPACE_GATEWAY_PORT', path: 'gateway.port', kind: 'integer' },
  { name: 'CARAPACE_GATEWAY_BIND', path: 'gateway.bind', kind: 'string' },
  { name: 'CARAPACE_GATEWAY_AUTH_MODE', path: 'gateway.auth.mode', kind: 'string' },
  { name: 'CARAPACE_GATEWAY_TOKEN', path: 'gateway.auth.token', kind: 'string' },
  { name: 'CARAPACE_GATEWAY_PASSWORD', path: 'gateway.auth.password', kind: 'string' },
  { name: 'CARAPACE_LOG_LEVEL', path: 'logging.level', kind: 'string' },
];

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next === 'object' && next !== null) node = next as Record<string, unknown>;
    else {
      const fresh: Record<string, unknown> = {};
      setOwn(node, key, fresh);
      node = fresh;
    }
  }
  setOwn(node, keys[keys.length - 1]!, value);
}

/**
 * The config layer built from `CARAPACE_*` variables (unset or empty ones are ignored), and which variable
 * set which path. An integer variable that is not a number is passed through as text, so validation
 * reports it at its path.
 */
export function envLayer(env: Record<string, string | undefined>): {
  layer: Record<string, unknown>;
  sources: Map<string, string>;
} {
  const layer: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  for (const o of ENV_OVERRIDES) {
    const raw = env[o.name];
    if (raw === undefined || raw.trim() === '') continue;
    const text = raw.trim();
    setPath(layer, o.path, o.kind === 'integer' && /^-?\d+$/.test(text) ? Number(text) : text);
    sources.set(o.path, o.name);
  }
  return { layer, sources };
}
