import { readFile } from 'node:fs/promises';
import JSON5 from 'json5';
import pc from 'picocolors';
import {
  applyMergePatch,
  type ConfigIssue,
  formatConfigIssues,
  hashConfigText,
  loadConfig,
  parseConfigText,
  planReload,
  redactConfig,
  restartPaths,
  type StatePaths,
  validateConfig,
  writeConfigFile,
} from '../../config/index.js';
import type { ConfigWriteResult } from '../../protocol/index.js';
import { errnoCode, isCarapaceError } from '../../shared/index.js';
import { ClientErrorCode, connectGateway, type GatewayClient } from '../client/index.js';
import { type ConnectionFlags, resolveConnection } from '../connection.js';
import { type CliContext, type StateFlags, statePaths } from '../context.js';
import { getAt, parseDottedPath, patchFor, type Segments, setAt } from '../dotted-path.js';
import { formatJson } from '../format.js';

/** `carapace config path`: the resolved config file path. */
export async function configPath(ctx: CliContext, flags: StateFlags): Promise<number> {
  ctx.io.out(`${statePaths(flags).configPath}\n`);
  return 0;
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/** The config document as written (no includes, no `${VAR}` substitution), or `{}` for no file. */
async function readDocument(paths: StatePaths): Promise<{ doc: Record<string, unknown>; text?: string }> {
  const text = await readText(paths.configPath);
  if (text === undefined) return { doc: {} };
  return { doc: parseConfigText(text, paths.configPath), text };
}

/** Print a CONFIG_INVALID error (local, or from the gateway as `details.code`) as its list of issues. */
function printIssues(ctx: CliContext, err: unknown): boolean {
  if (!isCarapaceError(err) || (err.code !== 'CONFIG_INVALID' && err.details?.code !== 'CONFIG_INVALID')) {
    return false;
  }
  const issues = (err.details?.issues as ConfigIssue[] | undefined) ?? [];
  const file = typeof err.details?.path === 'string' ? err.details.path : undefined;
  ctx.io.err(`${issues.length ? formatConfigIssues(issues, file) : err.message}\n`);
  return true;
}

/**
 * `carapace config get [path]`: the config file (or one value) with secrets redacted. A path the file does
 * not set prints its default, with a note on stderr.
 */
export async function configGet(
  ctx: CliContext,
  path: string | undefined,
  flags: StateFlags & { json?: boolean },
): Promise<number> {
  const paths = statePaths(flags);
  const segments = path === undefined ? [] : parseDottedPath(path);
  let doc: Record<string, unknown>;
  try {
    doc = (await readDocument(paths)).doc;
  } catch (err) {
    if (printIssues(ctx, err)) return 1;
    throw err;
  }
  let value = getAt(redactConfig(doc), segments);
  if (value === undefined && path !== undefined) {
    const defaults = validateConfig({});
    value = defaults.ok ? getAt(redactConfig(defaults.config), segments) : undefined;
    if (value === undefined) {
      ctx.io.err(`${pc.red('error:')} no setting at '${path}' in ${paths.configPath}\n`);
      return 1;
    }
    ctx.io.err(pc.dim(`${path} is not set in ${paths.configPath}; showing its default\n`));
  }
  if (!flags.json && typeof value === 'string') ctx.io.out(`${value}\n`);
  else ctx.io.out(formatJson(value, flags.json ?? false));
  return 0;
}

/** A command-line value: JSON5 (numbers, booleans, null, quoted strings, arrays, objects), else the text. */
export function parseValue(text: string): unknown {
  try {
    return JSON5.parse(text);
  } catch {
    return text;
  }
}

/**
 * Which changed settings only apply at a gateway (re)start: the exact changed paths when both documents
 * validate on their own, else every restart-annotated setting at or under the edited path.
 */
function needsRestart(
  prev: Record<string, unknown>,
  next: Record<string, unknown>,
  segments: Segments,
): string[] {
  const before = validateConfig(prev);
  const after = validateConfig(next);
  if (before.ok && after.ok) return planReload(before.config, after.config).restart;
  const dotted = segments.filter((s) => typeof s === 'string').join('.');
  return restartPaths().filter(
    (r) => r === dotted || r.startsWith(`${dotted}.`) || dotted.startsWith(`${r}.`),
  );
}

type SetFlags = ConnectionFlags & StateFlags & { fileOnly?: boolean };

/** What answers on the gateway URL: a usable client for this config file, or whether one runs at all. */
interface GatewayProbe {
  client: GatewayClient | undefined;
  running: boolean;
}

/** The running gateway that owns this config file, if one answers and accepts us. */
async function probeGateway(ctx: CliContext, flags: SetFlags, paths: StatePaths): Promise<GatewayProbe> {
  if (flags.fileOnly) return { client: undefined, running: false };
  let client: GatewayClient;
  try {
    const settings = await resolveConnection(flags, ctx.env, paths);
    client = await connectGateway({
      ...settings,
      clientVersion: ctx.version,
      handshakeTimeoutMs: 3000,
      tokenFile: paths.tokenPath,
    });
  } catch (err) {
    if (isCarapaceError(err, ClientErrorCode.unreachable)) return { client: undefined, running: false };
    ctx.io.err(pc.yellow(`cannot use the running gateway (${(err as Error).message}); editing the file\n`));
    return { client: undefined, running: true };
  }
  const info = await client.call<{ path?: string }>('config.get').catch(() => undefined);
  if (info?.path === paths.configPath) return { client, running: true };
  await client.close();
  return { client: undefined, running: false };
}

/** How the value is echoed back: secrets (by schema or key name) never reach the terminal. */
function describeChange(path: string, segments: Segments, value: unknown): string {
  if (value === null) return `Removed ${path}`;
  let shownValue: unknown;
  try {
    shownValue = getAt(redactConfig(setAt({}, segments, value)), segments);
  } catch {
    return `Set ${path}`; // an index past the end of an empty stand-in list: say less rather than leak
  }
  const shown = typeof shownValue === 'string' ? JSON.stringify(shownValue) : JSON5.stringify(shownValue);
  return `Set ${path} = ${shown}`;
}

const restartNote = (paths: string[]) =>
  `${pc.yellow('restart needed:')} the gateway applies ${paths.join(', ')} only when it (re)starts\n`;

/**
 * `carapace config set <path> <value>`: through the running gateway (`config.patch` / `config.set`, so it
 * hot-reloads) when one owns this file, else by writing the file (validated, with a backup).
 */
export async function configSet(
  ctx: CliContext,
  path: string,
  raw: string,
  flags: SetFlags,
): Promise<number> {
  const paths = statePaths(flags);
  const segments = parseDottedPath(path);
  const value = parseValue(raw);
  const change = describeChange(path, segments, value);
  try {
    const { client, running } = await probeGateway(ctx, flags, paths);
    if (client) {
      try {
        const result = await writeThroughGateway(client, paths, segments, value);
        ctx.io.out(`${change} in ${result.path} (through the running gateway)\n`);
        if (result.backupPath) ctx.io.out(pc.dim(`previous version: ${result.backupPath}\n`));
        if (result.restartRequired.length) ctx.io.out(restartNote(result.restartRequired));
        else if (result.hotReloaded.length) ctx.io.out(`${pc.green('applied')} without a restart\n`);
        else {
          ctx.io.out(
            "the running gateway's effective config did not change (a command-line flag or environment variable may override this setting)\n",
          );
        }
        return 0;
      } finally {
        await client.close();
      }
    }
    const { doc, text } = await readDocument(paths);
    const next = nextDocument(doc, segments, value);
    const written = await writeConfigFile(paths, next, { baseHash: hashConfigText(text ?? '') });
    ctx.io.out(`${change} in ${paths.configPath}\n`);
    if (written.backupPath) ctx.io.out(pc.dim(`previous version: ${written.backupPath}\n`));
    const restart = needsRestart(doc, next, segments);
    if (restart.length) ctx.io.out(restartNote(restart));
    else if (running) ctx.io.out('the running gateway reloads the file by itself\n');
    else ctx.io.out('no gateway is running here; the change applies when it starts\n');
    return 0;
  } catch (err) {
    if (printIssues(ctx, err)) return 1;
    throw err;
  }
}

/**
 * The document after the change, with the same meaning the gateway's `config.patch` gives it: for a path of
 * keys, a JSON merge patch (objects merge, `null` removes); with a list index, the value replaces the element.
 */
function nextDocument(
  doc: Record<string, unknown>,
  segments: Segments,
  value: unknown,
): Record<string, unknown> {
  const patch = patchFor(segments, value);
  if (patch) return applyMergePatch(doc, patch) as Record<string, unknown>;
  return setAt(doc, segments, value === null ? undefined : value);
}

async function writeThroughGateway(
  client: GatewayClient,
  paths: StatePaths,
  segments: Segments,
  value: unknown,
): Promise<ConfigWriteResult> {
  const { doc, text } = await readDocument(paths);
  const baseHash = hashConfigText(text ?? '');
  const patch = patchFor(segments, value);
  if (patch) return client.call<ConfigWriteResult>('config.patch', { patch, baseHash });
  const next = nextDocument(doc, segments, value);
  return client.call<ConfigWriteResult>('config.set', { config: next, baseHash });
}

/** `carapace config validate`: every problem with its path and a hint; exit 1 when invalid. */
export async function configValidate(ctx: CliContext, flags: StateFlags): Promise<number> {
  const paths = statePaths(flags);
  try {
    const loaded = await loadConfig({ paths });
    if (!loaded.exists) {
      ctx.io.out(`no config file at ${paths.configPath}: every setting has its default (valid)\n`);
      return 0;
    }
    const also = loaded.includes.length ? ` (with ${loaded.includes.join(', ')})` : '';
    ctx.io.out(`${pc.green('valid:')} ${paths.configPath}${also}\n`);
    return 0;
  } catch (err) {
    if (printIssues(ctx, err)) return 1;
    throw err;
  }
}
