import { readFile } from 'node:fs/promises';
import {
  applyMergePatch,
  type ConfigEnv,
  type LoadedConfig,
  loadConfig,
  parseConfigText,
  REDACTED,
  redactConfig,
  writeConfigFile,
} from '../../config/index.js';
import { type ConfigWriteResult, METHOD_SPECS } from '../../protocol/index.js';
import { CarapaceError, errnoCode, isCarapaceError } from '../../shared/index.js';
import type { MethodRegistry } from '../registry.js';

export interface ConfigMethodDeps {
  current(): LoadedConfig;
  /** The environment config layering and `${VAR}` use (undefined: the process environment). */
  env: ConfigEnv | undefined;
  /** Reload from disk after a write and apply what can be applied hot. */
  reload(): Promise<{ hotReloaded: string[]; restartRequired: string[] }>;
}

async function readRaw(path: string): Promise<{ text: string; exists: boolean }> {
  try {
    return { text: await readFile(path, 'utf8'), exists: true };
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { text: '', exists: false };
    throw err;
  }
}

/** Put back secrets that a client received redacted and sent back unchanged. */
function restoreRedacted(next: unknown, prev: unknown): unknown {
  if (next === REDACTED) return prev;
  if (Array.isArray(next))
    return next.map((v, i) => restoreRedacted(v, Array.isArray(prev) ? prev[i] : undefined));
  if (next && typeof next === 'object') {
    const p = prev && typeof prev === 'object' ? (prev as Record<string, unknown>) : {};
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(next)) out[k] = restoreRedacted(v, p[k]);
    return out;
  }
  return next;
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new CarapaceError('CONFIG_INVALID', `${what} must be a JSON object`, { details: { issues: [] } });
  }
  return value as Record<string, unknown>;
}

/** `config.get`, `config.set`, `config.patch` (PROTOCOL.md): redacted reads, compare-and-set writes. */
export function registerConfigMethods(registry: MethodRegistry, deps: ConfigMethodDeps): void {
  registry.register('config.get', {
    spec: METHOD_SPECS['config.get'],
    handler: async () => {
      const { configPath } = deps.current().paths;
      const { text, exists } = await readRaw(configPath);
      const hash = deps.current().hash;
      let parsed: unknown = {};
      let issues: { path: string; message: string; hint?: string }[] = [];
      try {
        // The file as written ($include and ${VAR} unexpanded, so no env secret is copied out) …
        parsed = exists ? parseConfigText(text, configPath) : {};
        // … and whether it loads now, with includes and variables resolved.
        await loadConfig({ paths: deps.current().paths, ...(deps.env ? { env: deps.env } : {}) });
      } catch (err) {
        if (!isCarapaceError(err)) throw err;
        issues = (err.details?.issues as typeof issues | undefined) ?? [
          { path: 'root', message: err.message },
        ];
      }
      return {
        path: configPath,
        exists,
        hash,
        valid: issues.length === 0,
        config: redactConfig(parsed),
        issues,
      };
    },
  });

  const write = async (
    next: Record<string, unknown>,
    baseHash: string | undefined,
  ): Promise<ConfigWriteResult> => {
    const { paths } = deps.current();
    const { text, exists } = await readRaw(paths.configPath);
    if (exists && baseHash === undefined) {
      throw new CarapaceError(
        'CONFIG_BASE_HASH_REQUIRED',
        'config write needs baseHash: read the current hash with config.get and pass it, so concurrent edits are not lost',
      );
    }
    const prev = exists ? parseConfigText(text, paths.configPath) : {};
    const merged = asObject(restoreRedacted(next, prev), 'config');
    const options = {
      ...(baseHash === undefined ? {} : { baseHash }),
      ...(deps.env ? { env: deps.env } : {}),
    };
    const written = await writeConfigFile(paths, merged, options);
    const plan = await deps.reload();
    const result: ConfigWriteResult = { ok: true, path: paths.configPath, hash: written.hash, ...plan };
    if (written.backupPath) result.backupPath = written.backupPath;
    return result;
  };

  registry.register('config.set', {
    spec: METHOD_SPECS['config.set'],
    idempotency: { required: false },
    handler: async (params: { raw?: string; config?: Record<string, unknown>; baseHash?: string }) => {
      if ((params.raw === undefined) === (params.config === undefined)) {
        throw new CarapaceError(
          'INVALID_PARAMS',
          'invalid config.set params: pass exactly one of raw (JSON5 text) or config (object)',
        );
      }
      const next = params.raw !== undefined ? parseConfigText(params.raw, 'config.set raw') : params.config;
      return write(asObject(next, 'config'), params.baseHash);
    },
  });

  registry.register('config.patch', {
    spec: METHOD_SPECS['config.patch'],
    idempotency: { required: false },
    handler: async (params: { raw?: string; patch?: Record<string, unknown>; baseHash?: string }) => {
      if ((params.raw === undefined) === (params.patch === undefined)) {
        throw new CarapaceError(
          'INVALID_PARAMS',
          'invalid config.patch params: pass exactly one of raw (JSON5 text) or patch (object)',
        );
      }
      const patch = params.raw !== undefined ? parseConfigText(params.raw, 'config.patch raw') : params.patch;
      const { configPath } = deps.current().paths;
      const { text, exists } = await readRaw(configPath);
      const base = exists ? parseConfigText(text, configPath) : {};
      const next = applyMergePatch(base, asObject(patch, 'patch'));
      return write(asObject(next, 'config'), params.baseHash);
    },
  });
}
