import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveSecret, type SecretRef, seedWorkspace, WORKSPACE_SEED_FILES } from '../config/index.js';
import { resolveAgents } from '../routing/index.js';
import { errorMessage } from '../shared/index.js';
import { accountLabel, channelAccounts, describeRef, secretSites } from './channel-accounts.js';
import type { DoctorContext } from './doctor-types.js';
import type { Check, FsRepair, Issue } from './findings.js';
import { type FormatFile, scanFormats } from './formats.js';

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** How to provide a secret that did not resolve. */
function refFix(ref: SecretRef, ctx: DoctorContext, where: string): string {
  if (typeof ref === 'string') return `set ${where}`;
  if (ref.source === 'env') {
    return `export ${ref.id}=… before starting the gateway (for the user service: add ${ref.id}=… to ${join(ctx.paths.stateDir, 'service.env')}, mode 0600)`;
  }
  return `write the secret to ${ref.path} (chmod 600 ${ref.path})`;
}

async function unresolved(ref: SecretRef, ctx: DoctorContext): Promise<string | undefined> {
  try {
    await resolveSecret(ref, ctx.env);
    return undefined;
  } catch (err) {
    return errorMessage(err);
  }
}

/** Channel tokens and every other secret reference resolve; WhatsApp accounts are linked. */
export const credentialsCheck: Check<DoctorContext> = {
  id: 'credentials',
  run: async (ctx) => {
    const config = ctx.config;
    if (!config) return [];
    const out: Issue[] = [];
    let checked = 0;
    for (const a of channelAccounts(config)) {
      if (!a.enabled) continue;
      const label = accountLabel(a);
      const where = `channels.${a.channel}.accounts.${a.accountId}`;
      for (const s of a.secrets) {
        if (!s.required) continue;
        checked++;
        if (!s.ref) {
          out.push({
            id: 'channel.credentials',
            severity: 'error',
            message: `${label}: ${s.key} is not set`,
            fix: `set ${where}.${s.key} (an env or file reference)`,
          });
          continue;
        }
        const problem = await unresolved(s.ref, ctx);
        if (problem) {
          out.push({
            id: 'channel.credentials',
            severity: 'error',
            message: `${label}: ${s.key} (${describeRef(s.ref)}): ${problem}`,
            fix: refFix(s.ref, ctx, `${where}.${s.key}`),
          });
        }
      }
      if (a.channel === 'whatsapp') {
        checked++;
        // Loaded only when a WhatsApp account exists: the channels folder pulls in the platform libraries.
        const { whatsappAuthDir } = await import('../channels/index.js');
        const creds = join(whatsappAuthDir(ctx.paths.credentialsDir, a.accountId), 'creds.json');
        if (!(await exists(creds))) {
          out.push({
            id: 'channel.credentials',
            severity: 'warn',
            message: `${label}: not linked yet (no ${creds})`,
            fix: `carapace channels login whatsapp --account ${a.accountId}`,
          });
        }
      }
    }
    for (const site of secretSites(config)) {
      if (!site.inUse) continue;
      checked++;
      const problem = await unresolved(site.ref, ctx);
      if (problem) {
        out.push({
          id: 'secret.unresolved',
          severity: 'error',
          message: `${site.path} (${describeRef(site.ref)}): ${problem}`,
          fix: refFix(site.ref, ctx, site.path),
        });
      }
    }
    const auth = config.gateway.auth;
    if (auth.mode === 'password' && !auth.password) {
      out.push({
        id: 'secret.unresolved',
        severity: 'error',
        message: "gateway.auth.mode is 'password' but no password is set",
        fix: 'set gateway.auth.password (an env or file reference), or CARAPACE_GATEWAY_PASSWORD',
      });
    }
    if (config.hooks.enabled && !config.hooks.token) {
      out.push({
        id: 'secret.unresolved',
        severity: 'error',
        message: 'hooks.enabled is true but hooks.token is not set',
        fix: 'set hooks.token to its own secret (never the gateway token), e.g. { source: "env", id: "CARAPACE_HOOKS_TOKEN" }',
      });
    }
    if (out.length > 0) return out;
    return [
      {
        id: 'credentials',
        severity: 'ok',
        message: checked ? `${checked} credentials resolve` : 'no channel or provider credentials configured',
      },
    ];
  },
};

/** Re-seed a workspace: only missing starter files are created (an existing file is never touched). */
function reseed(dir: string): FsRepair {
  return {
    kind: 'fs',
    apply: async () => {
      const created = await seedWorkspace(dir);
      return created.length ? `created ${created.join(', ')} in ${dir}` : `nothing missing in ${dir}`;
    },
  };
}

/** Each agent's workspace holds the starter files the gateway seeds. */
export const workspaceCheck: Check<DoctorContext> = {
  id: 'workspace',
  run: async (ctx) => {
    if (!ctx.config) return [];
    const out: Issue[] = [];
    const agents = resolveAgents(ctx.config, ctx.paths);
    for (const agent of agents) {
      const dir = agent.workspaceDir;
      if (!(await exists(dir))) {
        out.push({
          id: 'workspace.missing',
          // A fresh state dir: the gateway creates it on its first start.
          severity: 'info',
          message: `agent ${agent.id}: workspace ${dir} does not exist yet`,
          fix: 'carapace doctor --fix (or start the gateway) creates it with the starter files',
          paths: [dir],
          repair: reseed(dir),
        });
        continue;
      }
      const missing: string[] = [];
      for (const name of WORKSPACE_SEED_FILES) if (!(await exists(join(dir, name)))) missing.push(name);
      if (missing.length > 0) {
        out.push({
          id: 'workspace.missing',
          severity: 'warn',
          message: `agent ${agent.id}: ${dir} lacks ${missing.join(', ')}`,
          fix: 'carapace doctor --fix re-creates the missing starter files (existing files are not touched)',
          paths: missing.map((m) => join(dir, m)),
          repair: reseed(dir),
        });
      }
    }
    if (out.length > 0) return out;
    return [
      {
        id: 'workspace',
        severity: 'ok',
        message: `${agents.length} workspace${agents.length === 1 ? '' : 's'} complete`,
      },
    ];
  },
};

function countText(files: readonly FormatFile[]): string {
  const counts = new Map<string, number>();
  for (const f of files) counts.set(f.format, (counts.get(f.format) ?? 0) + 1);
  return [...counts].map(([name, n]) => `${n} ${name}`).join(', ');
}

function formatIssue(f: FormatFile): Issue | undefined {
  const paths = [f.path];
  if (f.status === 'newer') {
    return {
      id: 'format.newer',
      severity: 'error',
      message: `${f.path} (${f.format}) has version ${f.version}; this build reads up to ${f.supported}`,
      fix: 'upgrade Carapace (the file was written by a newer one), or restore this file from a backup',
      paths,
    };
  }
  if (f.status === 'other') {
    if (f.rebuilt)
      return {
        id: 'format.other',
        severity: 'info',
        message: `${f.path} (${f.format}) has version ${f.version}; it is rebuilt on next use`,
        paths,
      };
    return {
      id: 'format.other',
      severity: 'warn',
      message: `${f.path} (${f.format}) has version ${f.version}; this build writes ${f.supported} and has no migration for it`,
      fix: 'move the file aside (keep it as a backup) and let the gateway start a fresh one',
      paths,
    };
  }
  if (f.status === 'unreadable') {
    return {
      id: 'format.unreadable',
      severity: 'warn',
      message: `${f.path} (${f.format}): ${f.reason ?? 'unreadable'}`,
      fix: 'the gateway sets a corrupt file aside when it loads it; keep a copy if the data matters',
      paths,
    };
  }
  return undefined;
}

/** Every persisted file's format version is one this build reads; the files are listed. */
export const formatsCheck: Check<DoctorContext> = {
  id: 'formats',
  run: async (ctx) => {
    const files = await scanFormats(ctx.paths.stateDir);
    const out = files.map(formatIssue).filter((i): i is Issue => i !== undefined);
    const listing = files.map(({ format, path, status, version }) => ({
      format,
      path,
      status,
      ...(version === undefined ? {} : { version }),
    }));
    out.push({
      id: 'formats',
      severity: out.some((i) => i.severity !== 'info') ? 'info' : 'ok',
      message: files.length
        ? `${files.length} persisted files: ${countText(files)}`
        : 'no persisted state yet',
      details: { files: listing },
    });
    return out;
  },
};
