import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Config,
  formatConfigIssues,
  hashConfigText,
  parseConfigText,
  type StatePaths,
  validateConfig,
  writeConfigFile,
} from '../config/index.js';
import { agentIds, defaultAgentId, resolveAgents } from '../routing/index.js';
import { CarapaceError, type Clock, errnoCode, systemClock } from '../shared/index.js';
import { HANDLED_TOP_LEVEL, ModelRefs, mapAgents, mapBindings, mapSettings } from './config-agents.js';
import { mapChannels } from './config-channels.js';
import { type ImportedConfig, mergeConfig } from './config-merge.js';
import { ensureModelRefs, mapProviders } from './config-models.js';
import { importCron } from './cron.js';
import { type ImportReport, Reporter } from './report.js';
import type { SecretContext, SecretFile } from './secrets.js';
import { importSessions } from './sessions.js';
import { isDirectory, type Json, obj, readOpenClawConfig, readText } from './source.js';
import { importWorkspace, planWorkspaces } from './workspace.js';

export interface ImportOptions {
  /** The OpenClaw state dir (`~/.openclaw`). Only read. */
  from: string;
  /** Carapace's state paths (where everything is written). */
  paths: StatePaths;
  /** For `~` in OpenClaw paths. */
  home: string;
  /** Report what would happen; write nothing. */
  dryRun?: boolean;
  clock?: Clock;
}

/** Refuse to write while a gateway owns the state dir (it holds sessions and jobs in memory). */
async function assertNoGateway(paths: StatePaths): Promise<void> {
  const text = await readText(paths.lockPath);
  const pid = Number(obj(text ? JSON.parse(text) : undefined)?.pid);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (errnoCode(err) === 'ESRCH') return;
  }
  throw new CarapaceError(
    'GATEWAY_RUNNING',
    `a gateway (pid ${pid}) is running on ${paths.stateDir}: stop it first, then import (or use --dry-run to preview)`,
    { details: { pid } },
  );
}

async function readCarapaceDoc(paths: StatePaths): Promise<{ doc: Json; hash: string; exists: boolean }> {
  try {
    const text = await readFile(paths.configPath, 'utf8');
    return { doc: parseConfigText(text, paths.configPath), hash: hashConfigText(text), exists: true };
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
    return { doc: {}, hash: hashConfigText(''), exists: false };
  }
}

/** Write the secret files carapace.json refers to (0600 in a 0700 folder); an existing one is kept. */
async function writeSecrets(files: readonly SecretFile[], doc: Json, ctx: SecretContext): Promise<void> {
  const used = JSON.stringify(doc);
  for (const f of files) {
    if (!used.includes(JSON.stringify(f.path))) continue;
    const value = f.value ?? (f.copyFrom ? await readFile(f.copyFrom, 'utf8') : '');
    await mkdir(ctx.dir, { recursive: true, mode: 0o700 });
    await chmod(ctx.dir, 0o700);
    const current = await readFile(f.path, 'utf8').catch(() => undefined);
    if (current !== undefined && current.trim() !== value.trim()) {
      ctx.report.skipped('secret', f.path, 'exists with another value; kept (carapace.json refers to it)');
      continue;
    }
    if (current === undefined)
      await writeFile(f.path, value.endsWith('\n') ? value : `${value}\n`, { mode: 0o600 });
  }
}

/**
 * Bring an OpenClaw state dir across: openclaw.json (agents, bindings, model providers, channel accounts,
 * session and queue settings) merged into carapace.json through the config writer (which keeps a backup),
 * secrets as references, workspace files, cron jobs and sessions (current transcript of each key).
 * Never writes to `from`. Everything is reported: imported, changed (adapted, with how) or skipped (why).
 * Throws IMPORT_SOURCE_MISSING, IMPORT_SOURCE_INVALID, GATEWAY_RUNNING or CONFIG_INVALID (nothing written).
 */
export async function importOpenClaw(options: ImportOptions): Promise<ImportReport> {
  const { from, paths, home } = options;
  const dryRun = options.dryRun === true;
  const now = (options.clock ?? systemClock).now();
  if (!(await isDirectory(from)))
    throw new CarapaceError('IMPORT_SOURCE_MISSING', `no OpenClaw state dir at ${from}: pass --from <dir>`, {
      details: { from },
    });
  if (!dryRun) await assertNoGateway(paths);
  const report = new Reporter();
  const source = await readOpenClawConfig(from);
  if (source.error)
    throw new CarapaceError('IMPORT_SOURCE_INVALID', `${source.path} is ${source.error}`, {
      details: source,
    });
  if (!source.doc) report.skipped('config', 'openclaw.json', `not found in ${from}: only files are imported`);
  const oc = source.doc ?? {};
  const ctx: SecretContext = {
    dir: join(paths.credentialsDir, 'imported'),
    home,
    sourceDir: from,
    report,
    files: [],
  };

  // Workspaces first: a folder outside ~/.openclaw is used in place, so the agents point at it.
  const plans = await planWorkspaces(oc, from, home);
  const list = obj(oc.agents)?.list;
  const listed = Array.isArray(list) && list.length > 0;
  const byAgent = new Map(plans.filter((p) => p.inPlace && listed).map((p) => [p.agentId, p.dir]));
  const sole = !listed && plans[0]?.inPlace ? plans[0].dir : undefined;
  const refs = new ModelRefs(obj(obj(oc.agents)?.defaults), report);
  const agents = mapAgents(obj(oc.agents), refs, { ...(sole ? { defaults: sole } : {}), byAgent }, report);
  const ids = new Set(agents.list.length > 0 ? agents.list.map((a) => String(a.id)) : ['main']);
  const providers = mapProviders(obj(oc.models), ctx);
  const existing = await readCarapaceDoc(paths);
  ensureModelRefs(providers, refs.uses, obj(obj(existing.doc.models)?.providers) ?? {}, report);
  const imported: ImportedConfig = {
    agents,
    bindings: mapBindings(oc.bindings, ids, report),
    providers,
    channels: mapChannels(obj(oc.channels), ctx),
    settings: mapSettings(oc, report),
  };
  for (const key of Object.keys(oc))
    if (!HANDLED_TOP_LEVEL.has(key) && !key.startsWith('$') && key !== 'meta')
      report.skipped('config', key, 'not carried over (no Carapace equivalent, or set per machine)');

  const next = mergeConfig(existing.doc, imported, report);
  const configChanged = JSON.stringify(next) !== JSON.stringify(existing.doc);
  let configBackup: string | undefined;
  if (configChanged && dryRun && next.$include === undefined) {
    const checked = validateConfig(next);
    if (!checked.ok)
      throw new CarapaceError('CONFIG_INVALID', formatConfigIssues(checked.issues, paths.configPath), {
        details: { issues: checked.issues },
      });
  }
  if (configChanged && !dryRun) {
    configBackup = (await writeConfigFile(paths, next, { baseHash: existing.hash })).backupPath;
    await writeSecrets(ctx.files, next, ctx);
  }

  // Everything below goes where the merged config says.
  const agentsConfig = next as unknown as Pick<Config, 'agents'>;
  const filled = {
    agents: { list: agentsConfig.agents?.list ?? [], defaults: agentsConfig.agents?.defaults ?? {} },
  };
  const resolved = resolveAgents(filled, paths);
  for (const plan of plans) {
    const target = resolved.find((a) => a.id === plan.agentId);
    if (target) await importWorkspace(plan, target.workspaceDir, report, dryRun);
    else report.skipped('workspace', `agent '${plan.agentId}'`, 'the agent is not in the config');
  }
  await importCron(
    from,
    paths.cronDir,
    { defaultId: defaultAgentId(filled), ids: agentIds(filled) },
    now,
    report,
    dryRun,
  );
  await importSessions(from, (id) => resolved.find((a) => a.id === id)?.sessionsDir, report, dryRun);

  const out: ImportReport = {
    source: from,
    target: paths.stateDir,
    dryRun,
    items: report.items,
    counts: report.counts(),
    configWritten: configChanged,
  };
  if (configBackup) out.configBackup = configBackup;
  return out;
}
