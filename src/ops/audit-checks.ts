import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bindHost, resolveSecret, type SecretRef } from '../config/index.js';
import { resolveAgents } from '../routing/index.js';
import { isLoopbackAddress } from '../shared/index.js';
import type { AuditContext } from './audit-types.js';
import { channelAccounts } from './channel-accounts.js';
import type { Check, Issue } from './findings.js';
import {
  describeAccess,
  octal,
  openToOthers,
  type PathMode,
  statMode,
  tightenRepair,
  walkTree,
} from './fs-modes.js';

import { secretWeakness } from './secret-strength.js';

const NEW_SECRET = 'openssl rand -hex 32';

const bindCheck: Check<AuditContext> = {
  id: 'gateway.bind',
  run: async ({ config }) => {
    if (!config) return [];
    const { bind, port } = config.gateway;
    const host = bindHost(bind);
    if (isLoopbackAddress(host)) return [];
    return [
      {
        id: 'gateway.bind',
        severity: 'high',
        message: `the gateway listens on ${host}:${port} (gateway.bind '${bind}'): anyone who can reach this machine on that port can try the token, and traffic is unencrypted`,
        fix: 'carapace config set gateway.bind loopback — and reach it from elsewhere through an SSH tunnel (ssh -L 18789:127.0.0.1:18789 host) or a TLS reverse proxy / Tailscale',
      },
    ];
  },
};

async function secretValue(ref: SecretRef, ctx: AuditContext): Promise<string | undefined> {
  return resolveSecret(ref, ctx.env).catch(() => undefined);
}

/** The gateway's shared secret as the gateway would find it (config, else the token file). */
async function gatewaySecret(ctx: AuditContext): Promise<{ value: string; where: string } | undefined> {
  const auth = ctx.config!.gateway.auth;
  if (auth.mode === 'password' && auth.password) {
    const value = await secretValue(auth.password, ctx);
    return value ? { value, where: 'gateway.auth.password' } : undefined;
  }
  if (auth.mode !== 'token') return undefined;
  if (auth.token) {
    const value = await secretValue(auth.token, ctx);
    return value ? { value, where: 'gateway.auth.token' } : undefined;
  }
  const text = await readFile(ctx.paths.tokenPath, 'utf8').catch(() => '');
  return text.trim() ? { value: text.trim(), where: `the token file ${ctx.paths.tokenPath}` } : undefined;
}

const tokensCheck: Check<AuditContext> = {
  id: 'tokens',
  run: async (ctx) => {
    const config = ctx.config;
    if (!config) return [];
    const out: Issue[] = [];
    if (config.gateway.auth.mode === 'none') {
      out.push({
        id: 'gateway.auth.none',
        severity: 'medium',
        message:
          "gateway.auth.mode is 'none': every local user and process can drive the gateway (and its tools)",
        fix: 'carapace config set gateway.auth.mode token (a token is generated on the next start)',
      });
    }
    const gateway = await gatewaySecret(ctx);
    const weak = gateway ? secretWeakness(gateway.value) : undefined;
    if (gateway && weak) {
      out.push({
        id: 'gateway.token.weak',
        severity: 'high',
        message: `the gateway ${config.gateway.auth.mode} (${gateway.where}) is weak: ${weak}`,
        fix:
          config.gateway.auth.token || config.gateway.auth.mode === 'password'
            ? `replace it with a random secret: ${NEW_SECRET}`
            : `${NEW_SECRET} > ${ctx.paths.tokenPath} (then restart the gateway and sign clients in again)`,
      });
    }
    const hooks = config.hooks;
    const hooksToken = hooks.token ? await secretValue(hooks.token, ctx) : undefined;
    if (hooksToken && gateway && hooksToken === gateway.value) {
      out.push({
        id: 'hooks.token.reused',
        severity: hooks.enabled ? 'high' : 'medium',
        message: `hooks.token is the same secret as the gateway's (${gateway.where}): whoever holds the webhook token can drive the whole gateway`,
        fix: `give hooks their own secret: export CARAPACE_HOOKS_TOKEN=$(${NEW_SECRET}); carapace config set hooks.token '{"source":"env","id":"CARAPACE_HOOKS_TOKEN"}'`,
      });
    } else if (hooksToken && hooks.enabled) {
      const hooksWeak = secretWeakness(hooksToken);
      if (hooksWeak)
        out.push({
          id: 'hooks.token.weak',
          severity: 'high',
          message: `hooks.token is weak: ${hooksWeak}`,
          fix: `replace it with a random secret: ${NEW_SECRET}`,
        });
    }
    return out;
  },
};

function permIssue(
  id: string,
  severity: Issue['severity'],
  what: string,
  found: readonly PathMode[],
  stateDir: string,
): Issue {
  const first = found[0]!;
  const more = found.length > 1 ? ` (and ${found.length - 1} more)` : '';
  const repairs = found.map((m) => tightenRepair(m.path));
  return {
    id,
    severity,
    message: `${what}: ${first.path} is ${octal(first.mode)}, ${describeAccess(first.mode)}${more}`,
    fix:
      found.length > 3 ? `chmod -R go-rwx ${stateDir}` : `chmod go-rwx ${found.map((m) => m.path).join(' ')}`,
    paths: found.map((m) => m.path),
    repair: {
      kind: 'fs',
      apply: async () => {
        const done: string[] = [];
        for (const r of repairs) done.push(await r.apply());
        return done.length > 3
          ? `${done.slice(0, 3).join('; ')}; … ${done.length} paths in all`
          : done.join('; ');
      },
    },
  };
}

/** Files the secrets live in: the token, the config (and its backup), credentials, file secret refs. */
function isSecretPath(path: string, ctx: AuditContext): boolean {
  const p = ctx.paths;
  return (
    path === p.configPath ||
    path === `${p.configPath}.bak` ||
    path === p.credentialsDir ||
    path.startsWith(`${p.credentialsDir}/`)
  );
}

function fileRefs(ctx: AuditContext): string[] {
  const config = ctx.config;
  if (!config) return [];
  const refs: SecretRef[] = [];
  const auth = config.gateway.auth;
  for (const r of [auth.token, auth.password, config.hooks.token, config.tools.web.search.apiKey])
    if (r) refs.push(r);
  for (const p of Object.values(config.models.providers))
    refs.push(...(p.apiKey ? [p.apiKey] : []), ...(p.apiKeys ?? []));
  for (const a of channelAccounts(config)) for (const s of a.secrets) if (s.ref) refs.push(s.ref);
  const home = ctx.env.HOME;
  return refs
    .filter((r): r is { source: 'file'; path: string } => typeof r === 'object' && r.source === 'file')
    .map((r) => (home && r.path.startsWith('~/') ? join(home, r.path.slice(2)) : r.path));
}

const statePermsCheck: Check<AuditContext> = {
  id: 'state.permissions',
  run: async (ctx) => {
    const p = ctx.paths;
    const out: Issue[] = [];
    const root = await statMode(p.stateDir);
    if (!root) return [];
    if (openToOthers(root.mode))
      out.push(
        permIssue('state.permissions', 'high', 'the state dir is open to other users', [root], p.stateDir),
      );
    // Agent workspaces are the agents' working folders (often code with its own modes): not walked.
    const skip = new Set<string>([p.workspaceDir]);
    if (ctx.config) for (const agent of resolveAgents(ctx.config, p)) skip.add(agent.workspaceDir);
    const tree = await walkTree(p.stateDir, { skip });
    const open = tree.entries.filter((e) => !e.isSymlink && openToOthers(e.mode) && (e.mode & 0o044) !== 0);
    const secret = open.filter((e) => isSecretPath(e.path, ctx));
    const rest = open.filter((e) => !isSecretPath(e.path, ctx));
    const config = await statMode(p.configPath);
    if (config && !config.path.startsWith(`${p.stateDir}/`) && openToOthers(config.mode)) secret.push(config);
    if (secret.length > 0)
      out.push(
        permIssue('state.secrets-readable', 'high', 'secrets readable by other users', secret, p.stateDir),
      );
    if (rest.length > 0) {
      const severity = openToOthers(root.mode) ? 'medium' : 'low';
      out.push(
        permIssue(
          'state.files-readable',
          severity,
          `${rest.length} state files and folders readable by other users (sessions, transcripts, logs)`,
          rest,
          p.stateDir,
        ),
      );
    }
    const refs: PathMode[] = [];
    for (const path of fileRefs(ctx)) {
      const m = await statMode(path);
      if (m && !m.isSymlink && openToOthers(m.mode) && !secret.some((s) => s.path === path)) refs.push(m);
    }
    if (refs.length > 0)
      out.push(
        permIssue(
          'secret.file-readable',
          'high',
          'secret files named by the config are readable by other users',
          refs,
          p.stateDir,
        ),
      );
    return out;
  },
};

/** Gateway exposure, tokens and file permissions. */
export const GATEWAY_AUDIT_CHECKS: readonly Check<AuditContext>[] = [bindCheck, tokensCheck, statePermsCheck];
