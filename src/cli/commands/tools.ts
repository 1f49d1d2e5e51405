import { join } from 'node:path';
import pc from 'picocolors';
import type { Config } from '../../config/index.js';
import { resolveAgents } from '../../routing/index.js';
import {
  createExecApprovalsStore,
  defaultIsOwnerMain,
  describeToolRule,
  effectiveExecPolicy,
  entryMatches,
  explainToolPolicy,
  KNOWN_TOOLS,
  sandboxRequired,
  TOOL_GROUPS,
  type ToolDecision,
  type ToolPolicyExplanation,
} from '../../tools/index.js';
import type { CliContext, StateFlags } from '../context.js';
import { formatJson } from '../format.js';
import { loadLocalConfig } from '../local-config.js';
import { formatTable } from '../table.js';
import { contextTarget, findAgent } from './agent-context.js';
import { agentToolsetOf } from './agent-tools.js';

/** Flags of `carapace tools list`. */
export interface ToolsListFlags extends StateFlags {
  agent?: string;
  session?: string;
  json?: boolean;
}

/** One row of `tools list`: the policy's decision, and whether a gateway turn offers the tool at all. */
export interface ToolRow extends ToolDecision {
  /** `group:*` names the tool belongs to. */
  groups: string[];
  /** False for a known tool this gateway does not build (or that config turned off). */
  available: boolean;
  /** Why it is not available. */
  unavailableReason?: string;
  /** Available and allowed: the model sees it. */
  offered: boolean;
}

/** How `exec` behaves in the chosen session. */
export interface ExecSummary {
  security: string;
  ask: string;
  approvalTimeoutSec: number;
  sandboxed: boolean;
  sandboxMode: string;
  ownerMain: boolean;
  configAllowlist: number;
  /** Persisted allow-always entries that apply to this agent (undefined when the file is unreadable). */
  approvedEntries: number | undefined;
}

function groupsOf(name: string): string[] {
  return Object.keys(TOOL_GROUPS).filter((g) => entryMatches(g, name));
}

function unavailableReason(config: Config, name: string): string {
  if (name === 'web_fetch' && !config.tools.web.fetch.enabled) return 'turned off (tools.web.fetch.enabled)';
  if (name.startsWith('memory_') && !config.memory.enabled) return 'turned off (memory.enabled)';
  return 'not provided by this gateway';
}

/** Every tool the gateway builds for the agent, then the known tools it does not build, each decided. */
export function toolRows(
  config: Config,
  offeredNames: readonly string[],
  explanation: ToolPolicyExplanation,
) {
  return explanation.tools.map((d): ToolRow => {
    const available = offeredNames.includes(d.name);
    return {
      ...d,
      groups: groupsOf(d.name),
      available,
      ...(available ? {} : { unavailableReason: unavailableReason(config, d.name) }),
      offered: available && d.allowed,
    };
  });
}

async function execSummary(
  config: Config,
  stateDir: string,
  agentId: string,
  sessionKey: string,
): Promise<ExecSummary> {
  const ownerMain = defaultIsOwnerMain({ sessionKey, agentId, runId: '', toolCallId: '' });
  const policy = effectiveExecPolicy(config.tools.exec, { ownerMain, tainted: false });
  let approvedEntries: number | undefined;
  try {
    const store = createExecApprovalsStore({ path: join(stateDir, 'exec-approvals.json') });
    const { file } = await store.get();
    approvedEntries = file.entries.filter((e) => e.agentId === undefined || e.agentId === agentId).length;
  } catch {
    approvedEntries = undefined;
  }
  return {
    security: policy.security,
    ask: policy.ask,
    approvalTimeoutSec: config.tools.exec.approvalTimeoutSec,
    sandboxed: sandboxRequired(config.tools.sandbox.mode, ownerMain),
    sandboxMode: config.tools.sandbox.mode,
    ownerMain,
    configAllowlist: config.tools.exec.allowlist.length,
    approvedEntries,
  };
}

function statusCell(row: ToolRow): string {
  if (!row.available) return pc.dim('unavailable');
  return row.allowed ? pc.green('allowed') : pc.red('denied');
}

function ruleCell(row: ToolRow): string {
  const rule = describeToolRule(row.rule);
  if (row.available) return rule;
  return pc.dim(`${row.unavailableReason} (policy: ${row.allowed ? 'allowed' : 'denied'}, ${rule})`);
}

function formatExec(exec: ExecSummary): string {
  const where = exec.ownerMain ? "the agent's main session" : 'not the main session';
  const sandbox = exec.sandboxed
    ? `sandboxed with bubblewrap (tools.sandbox.mode '${exec.sandboxMode}', ${where})`
    : `not sandboxed (tools.sandbox.mode '${exec.sandboxMode}', ${where})`;
  const approved =
    exec.approvedEntries === undefined
      ? 'the approvals file is unreadable'
      : `${exec.approvedEntries} approved with allow-always (carapace approvals allowlist)`;
  return [
    `exec here: security ${exec.security}, ask ${exec.ask}, approval timeout ${exec.approvalTimeoutSec} s; ${sandbox}`,
    `  allowlist: ${exec.configAllowlist} entries in tools.exec.allowlist, ${approved}`,
  ].join('\n');
}

/**
 * `carapace tools list`: every tool a gateway turn of the agent could offer (and the known tools this
 * gateway does not build), allowed or not, with the setting that decided. Reads the config; no gateway.
 */
export async function toolsList(ctx: CliContext, flags: ToolsListFlags): Promise<number> {
  const local = await loadLocalConfig(ctx, flags);
  if (!local) return 1;
  const { config, paths } = local;
  const { agentId, sessionKey } = contextTarget(config, flags);
  const agent = findAgent(config, resolveAgents(config, paths), agentId);
  const offered = (await agentToolsetOf(config, agent)).map((t) => t.name);
  const names = [...offered, ...KNOWN_TOOLS.filter((n) => !offered.includes(n))];
  const explanation = explainToolPolicy(config, agentId, names);
  const rows = toolRows(config, offered, explanation);
  const exec = await execSummary(config, paths.stateDir, agentId, sessionKey);
  if (flags.json) {
    const { agentId: _a, tools: _t, ...policy } = explanation;
    ctx.io.out(formatJson({ agentId, sessionKey, ...policy, tools: rows, exec }, true));
    return 0;
  }
  const head = `Tools for agent ${agentId}, session ${sessionKey}: profile '${explanation.profile}' (${explanation.profileSource})`;
  const table = formatTable(
    [{ header: 'TOOL' }, { header: 'GROUP' }, { header: 'STATUS' }, { header: 'RULE' }],
    rows.map((r) => [r.name, r.groups.join(', '), statusCell(r), ruleCell(r)]),
  );
  const count = rows.filter((r) => r.offered).length;
  const lines = [head, '', table, `${count} of ${rows.length} tools offered to the model`, formatExec(exec)];
  for (const warning of explanation.unknownEntries) lines.push(pc.yellow(`warning: ${warning}`));
  ctx.io.out(`${lines.join('\n')}\n`);
  return 0;
}
