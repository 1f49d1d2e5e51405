import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { errnoCode } from '../shared/index.js';
import { envLayer } from './env.js';
import { resolveIncludes } from './include.js';
import { type ConfigIssue, configInvalid, formatPath, type PathSegments } from './issues.js';
import { deepMerge, isPlainObject } from './merge.js';
import { parseConfigText, substituteEnv } from './parse.js';
import type { StatePaths } from './paths.js';
import type { Config } from './schema.js';
import { validateConfig } from './validate.js';

/** Every property optional, recursively (arrays are replaced whole, so they stay as they are). */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> | undefined }
    : T;

export type ConfigEnv = Record<string, string | undefined>;

/** The result of loadConfig. */
export interface LoadedConfig {
  /** The effective config: defaults < file < CARAPACE_* env < overrides. */
  config: Config;
  /** The file after `$include` and `${ENV}` substitution, before defaults and the other layers. */
  fileConfig: Record<string, unknown>;
  /** The main file exactly as parsed (no includes expanded, no `${VAR}` replaced): the base for edits. */
  raw: Record<string, unknown>;
  /** Whether the config file exists. */
  exists: boolean;
  /** sha256 hex of the file text, or of '' when absent: the `baseHash` for writeConfigFile. */
  hash: string;
  paths: StatePaths;
  /** Included files that were read, in order (the main file not included). */
  includes: string[];
}

export interface LoadConfigOptions {
  paths: StatePaths;
  /** Defaults to `process.env`. */
  env?: ConfigEnv;
  /** The top layer, typically from CLI flags; `undefined` values are ignored. */
  overrides?: DeepPartial<Config>;
}

/** sha256 hex of a config file's text ('' for a missing file). */
export function hashConfigText(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The text of the config file, or undefined when there is none. */
export async function readConfigText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT') return undefined;
    const hint = code === 'EISDIR' ? 'the config path must be a file' : 'check the file permissions';
    throw configInvalid([{ path: 'root', message: `cannot read ${file} (${code ?? err})`, hint }], file, err);
  }
}

/**
 * Expand `$include` and substitute `${VAR}` in a parsed config document. Missing variables become issues
 * (returned, not thrown); include problems throw CONFIG_INVALID.
 */
export async function resolveDocument(
  doc: Record<string, unknown>,
  file: string,
  env: ConfigEnv,
): Promise<{ value: Record<string, unknown>; includes: string[]; issues: ConfigIssue[] }> {
  const expanded = await resolveIncludes(doc, file, env);
  const issues: ConfigIssue[] = [];
  const value = substituteEnv(expanded.value, env, issues) as Record<string, unknown>;
  return { value, includes: expanded.files, issues };
}

function leafPaths(value: unknown, path: PathSegments = []): string[] {
  if (!isPlainObject(value)) return value === undefined ? [] : [formatPath(path)];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...path, k]));
}

function covers(path: string, issuePath: string): boolean {
  return issuePath === path || issuePath.startsWith(`${path}.`) || issuePath.startsWith(`${path}[`);
}

function blame(issue: ConfigIssue, envSources: Map<string, string>, overridden: string[]): ConfigIssue {
  if (overridden.some((p) => covers(p, issue.path))) {
    return { ...issue, message: `${issue.message} (from a command-line override)` };
  }
  for (const [path, name] of envSources) {
    if (covers(path, issue.path)) return { ...issue, message: `${issue.message} (from ${name})` };
  }
  return issue;
}

/**
 * Load the effective config. Layers, lowest first: schema defaults < the file (JSON5, `$include`,
 * `${VAR}`) < `CARAPACE_*` environment variables < `overrides`. A missing file means all defaults.
 * Throws CONFIG_INVALID (details: { issues, path }) listing every problem at once.
 */
export async function loadConfig(opts: LoadConfigOptions): Promise<LoadedConfig> {
  const env = opts.env ?? process.env;
  const file = opts.paths.configPath;
  const text = await readConfigText(file);
  const raw = text === undefined ? {} : parseConfigText(text, file);
  const doc = await resolveDocument(raw, file, env);
  const { layer, sources } = envLayer(env);
  const merged = deepMerge(deepMerge(doc.value, layer), opts.overrides ?? {});
  const result = validateConfig(merged);
  const overridden = leafPaths(opts.overrides ?? {});
  const issues = [
    ...doc.issues,
    ...(result.ok ? [] : result.issues.map((i) => blame(i, sources, overridden))),
  ];
  if (issues.length > 0 || !result.ok) throw configInvalid(issues, file);
  return {
    config: result.config,
    fileConfig: doc.value,
    raw,
    exists: text !== undefined,
    hash: hashConfigText(text ?? ''),
    paths: opts.paths,
    includes: doc.includes,
  };
}
