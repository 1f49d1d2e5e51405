import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { agentIds, resolveRoute } from '../routing/index.js';
import type { AuditContext } from './audit-types.js';
import { accountLabel, type ChannelAccountView, channelAccounts } from './channel-accounts.js';
import { dottedPath } from './config-edit.js';
import type { Check, Issue } from './findings.js';

/**
 * May sessions of `agentId` other than the owner's main one run shell commands (the tool policy allows
 * `exec` and `tools.exec.security` is not `deny`)?
 */
export async function execAllowed(config: Config, agentId: string): Promise<boolean> {
  if (config.tools.exec.security === 'deny') return false;
  // tools/index.ts reaches the agent and the AI SDK: loaded only when a risky setting makes this matter.
  const { decideTool, resolveToolPolicy } = await import('../tools/index.js');
  return decideTool(resolveToolPolicy(config, agentId), 'exec').allowed;
}

/** The agent that answers a DM from an unknown sender on this account. */
function dmAgent(config: Config, a: ChannelAccountView): string {
  return resolveRoute(config, {
    channel: a.channel,
    accountId: a.accountId,
    peer: { kind: 'dm', id: '\u0000audit' },
  }).agentId;
}

const dmPolicyCheck: Check<AuditContext> = {
  id: 'dm.open',
  run: async ({ config }) => {
    if (!config) return [];
    const out: Issue[] = [];
    for (const a of channelAccounts(config)) {
      if (!a.enabled || a.dmPolicy !== 'open') continue;
      const agentId = dmAgent(config, a);
      const where = [...a.path, 'dmPolicy'];
      const fix = `carapace config set ${dottedPath(where)} pairing (unknown senders then get a code you approve)`;
      if (await execAllowed(config, agentId)) {
        out.push({
          id: 'dm.open-exec',
          severity: 'high',
          message: `${accountLabel(a)}: dmPolicy is 'open' and agent ${agentId} may run exec: anyone who finds the bot can ask it to run commands on this machine`,
          fix: `${fix}, or deny exec for that agent (tools.deny: ["exec"])`,
          repair: { kind: 'config', path: where, from: 'open', to: 'pairing' },
        });
      } else {
        out.push({
          id: 'dm.open',
          severity: 'medium',
          message: `${accountLabel(a)}: dmPolicy is 'open': anyone who finds the bot can talk to agent ${agentId} and spend your model budget`,
          fix,
        });
      }
    }
    return out;
  },
};

const sandboxCheck: Check<AuditContext> = {
  id: 'sandbox.off-exec-full',
  run: async ({ config }) => {
    if (!config) return [];
    const { sandbox, exec } = config.tools;
    if (sandbox.mode !== 'off' || exec.security !== 'full') return [];
    const agents: string[] = [];
    for (const id of agentIds(config)) if (await execAllowed(config, id)) agents.push(id);
    if (agents.length === 0) return [];
    return [
      {
        id: 'sandbox.off-exec-full',
        severity: 'high',
        message: `tools.sandbox.mode is 'off' and tools.exec.security is 'full': every session of ${agents.join(', ')} runs any command unsandboxed and unasked`,
        fix: "carapace config set tools.sandbox.mode non-main (needs bubblewrap), or carapace config set tools.exec.security allowlist; keep 'full' for your own main session with tools.exec.ownerMainSecurity full",
      },
    ];
  },
};

const webFetchCheck: Check<AuditContext> = {
  id: 'web_fetch.private',
  run: async ({ config }) => {
    const fetch = config?.tools.web.fetch;
    if (!fetch?.enabled || !fetch.allowPrivateNetwork) return [];
    const where = ['tools', 'web', 'fetch', 'allowPrivateNetwork'];
    return [
      {
        id: 'web_fetch.private',
        severity: 'medium',
        message:
          'web_fetch may reach loopback, private and link-local addresses: a prompt-injected page can make the agent probe your LAN, router admin pages and local services',
        fix: `carapace config set ${dottedPath(where)} false`,
        repair: { kind: 'config', path: where, from: true, to: false },
      },
    ];
  },
};

/** Senders the owner approved through pairing (`credentials/<channel>/<account>-pairing.json`). */
async function approvedSenders(ctx: AuditContext, a: ChannelAccountView): Promise<string[]> {
  // The file naming of the channels folder: URI-encoded, with '.' encoded too.
  const enc = (s: string) => encodeURIComponent(s).replace(/\./g, '%2E');
  const file = join(ctx.paths.credentialsDir, enc(a.channel), `${enc(a.accountId)}-pairing.json`);
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { approved?: { id?: unknown }[] };
    return (parsed.approved ?? []).map((s) => s.id).filter((id): id is string => typeof id === 'string');
  } catch {
    return [];
  }
}

const sharedDmCheck: Check<AuditContext> = {
  id: 'session.shared-dm',
  run: async (ctx) => {
    const config = ctx.config;
    if (!config) return [];
    if (config.session.dmScope !== 'main') return [];
    const out: Issue[] = [];
    for (const a of channelAccounts(config)) {
      if (!a.enabled || a.dmPolicy === 'disabled') continue;
      const senders = new Set([...a.allowFrom, ...(await approvedSenders(ctx, a))]);
      if (a.dmPolicy !== 'open' && senders.size < 2) continue;
      const who = a.dmPolicy === 'open' ? 'anyone (dmPolicy open)' : `${senders.size} allowed senders`;
      out.push({
        id: 'session.shared-dm',
        severity: a.dmPolicy === 'open' ? 'high' : 'medium',
        message: `${accountLabel(a)}: session.dmScope is 'main' and ${who} can DM the bot: they all share one session, so each sees what the others said`,
        fix: 'carapace config set session.dmScope per-channel-peer (each sender gets a session of their own)',
      });
    }
    return out;
  },
};

const skillsCheck: Check<AuditContext> = {
  id: 'skills.install',
  run: async (ctx) => {
    if (!ctx.config) return [];
    const skills = await ctx.listSkills(ctx);
    return skills.map((s) => ({
      id: 'skills.install',
      severity: s.source === 'bundled' ? 'info' : 'medium',
      message: `skill ${s.name} (${s.source}) carries install steps: ${s.install.join('; ')}`,
      fix: `read ${s.file} before letting anything run those steps; to never offer it: add "${s.name}" to skills.disabled`,
      paths: [s.file],
    }));
  },
};

const openGroupsCheck: Check<AuditContext> = {
  id: 'channels.open-groups',
  run: async ({ config }) => {
    if (!config) return [];
    const out: Issue[] = [];
    for (const a of channelAccounts(config)) {
      const wildcard = a.groups['*'];
      if (!a.enabled || !wildcard) continue;
      const where = [...a.path, a.groupsKey, '*'];
      const noun = a.groupsKey === 'guilds' ? 'guild' : a.groupsKey === 'channels' ? 'channel' : 'group';
      const list = `list the ${noun} ids you want under ${dottedPath([...a.path, a.groupsKey])} instead of '*'`;
      if (!wildcard.requireMention) {
        out.push({
          id: 'channels.open-groups',
          severity: 'high',
          message: `${accountLabel(a)}: every ${noun} the bot is added to can trigger it, without even mentioning it (${dottedPath(where)} with requireMention false)`,
          fix: `carapace config set ${dottedPath([...where, 'requireMention'])} true, and ${list}`,
          repair: { kind: 'config', path: [...where, 'requireMention'], from: false, to: true },
        });
      } else {
        out.push({
          id: 'channels.open-groups',
          severity: 'medium',
          message: `${accountLabel(a)}: every ${noun} the bot is added to can trigger it by mentioning it (${dottedPath(where)})`,
          fix: list,
        });
      }
    }
    return out;
  },
};

/** DM and group exposure, exec without a sandbox, web_fetch reach, shared sessions, skills. */
export const AGENT_AUDIT_CHECKS: readonly Check<AuditContext>[] = [
  dmPolicyCheck,
  sandboxCheck,
  webFetchCheck,
  sharedDmCheck,
  skillsCheck,
  openGroupsCheck,
];
