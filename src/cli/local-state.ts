import { readFile } from 'node:fs/promises';
import JSON5 from 'json5';
import type { StatePaths } from '../config/index.js';
import { errnoCode } from '../shared/index.js';

/** What a client needs from the local state dir to find and authenticate to its gateway. */
export interface LocalGatewayInfo {
  /** Port from the live gateway's lock file, else the config file, else the default. */
  port: number;
  /** Host to connect to (a loopback address unless the gateway listens on one specific IP). */
  host: string;
  authMode: 'token' | 'password' | 'none' | undefined;
  /** Secrets given inline in the config or by file reference (env references are left to the gateway). */
  token: string | undefined;
  password: string | undefined;
}

/** The port the gateway uses when nothing says otherwise. */
export const DEFAULT_GATEWAY_PORT = 18789;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    throw err;
  }
}

/**
 * The config file parsed as plain JSON5, without validation, includes or defaults: the cheap path of
 * one-shot commands. An unreadable or broken file counts as empty (the gateway reports it at start).
 */
async function readRawConfig(path: string): Promise<Json> {
  try {
    const text = await readText(path);
    return text === undefined ? {} : obj(JSON5.parse(text));
  } catch {
    return {};
  }
}

/** A secret from the config: an inline string or `{source:'file', path}`; undefined otherwise. */
async function readSecret(ref: unknown): Promise<string | undefined> {
  if (typeof ref === 'string' && ref !== '') return ref;
  const r = obj(ref);
  if (r.source === 'file' && typeof r.path === 'string') {
    return (await readText(r.path).catch(() => undefined))?.trim() || undefined;
  }
  return undefined;
}

/** Where a gateway that listens on `bind` (config value or address) is reached from this machine. */
export function connectHost(bind: unknown): string {
  if (typeof bind !== 'string' || bind === '' || ['loopback', 'lan', 'all', 'localhost'].includes(bind)) {
    return '127.0.0.1';
  }
  if (bind === '0.0.0.0' || bind === '::') return '127.0.0.1';
  return bind.includes(':') ? `[${bind}]` : bind;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

/** The running gateway's address from its lock file, when the holder is alive and listening. */
async function readLock(path: string): Promise<{ port: number; host: string | null } | undefined> {
  try {
    const lock = obj(JSON.parse((await readText(path)) ?? 'null'));
    if (typeof lock.pid !== 'number' || typeof lock.port !== 'number' || lock.port <= 0) return undefined;
    if (!processAlive(lock.pid)) return undefined;
    return { port: lock.port, host: typeof lock.host === 'string' ? lock.host : null };
  } catch {
    return undefined;
  }
}

/** The gateway token written by the gateway (or onboarding) at `paths.tokenPath`, if any. */
export async function readTokenFile(paths: StatePaths): Promise<string | undefined> {
  return (await readText(paths.tokenPath))?.trim() || undefined;
}

/** Read what the local state says about the gateway: lock file, config file and token file. */
export async function readLocalGatewayInfo(paths: StatePaths): Promise<LocalGatewayInfo> {
  const config = await readRawConfig(paths.configPath);
  const gateway = obj(config.gateway);
  const auth = obj(gateway.auth);
  const lock = await readLock(paths.lockPath);
  const configPort =
    typeof gateway.port === 'number' && gateway.port > 0 ? gateway.port : DEFAULT_GATEWAY_PORT;
  const mode =
    auth.mode === 'token' || auth.mode === 'password' || auth.mode === 'none' ? auth.mode : undefined;
  const token =
    (await readSecret(auth.token)) ?? (mode === 'password' ? undefined : await readTokenFile(paths));
  return {
    port: lock?.port ?? configPort,
    host: connectHost(lock?.host ?? gateway.bind),
    authMode: mode,
    token,
    password: await readSecret(auth.password),
  };
}
