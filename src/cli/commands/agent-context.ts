import { readFile } from 'node:fs/promises';
import pc from 'picocolors';
import { assembleContext, type ContextReport } from '../../agent/index.js';
import type { Config } from '../../config/index.js';
import {
  defaultAgentId,
  normalizeSessionKey,
  parseSessionKey,
  type ResolvedAgent,
  resolveAgents,
  sessionKeyAgentId,
} from '../../routing/index.js';
import { CarapaceError } from '../../shared/index.js';
import { type CliContext, type StateFlags, usageError } from '../context.js';
import { formatJson } from '../format.js';
import { loadLocalConfig } from '../local-config.js';
import { formatCount, formatTable } from '../table.js';
import { describeAgentTools } from './agent-tools.js';

/** Flags of `carapace agent context`. */
export interface AgentContextFlags extends StateFlags {
  agent?: string;
  session?: string;
  json?: boolean;
  print?: boolean;
}

/** Which agent and session the flags name: `--session` decides the agent; both must agree. */
export function contextTarget(
  config: Config,
  flags: AgentContextFlags,
): { agentId: string; sessionKey: string } {
  const fallback = defaultAgentId(config);
  if (flags.session === undefined) {
    const agentId = flags.agent ?? fallback;
    return { agentId, sessionKey: `agent:${agentId}:main` };
  }
  const sessionKey = normalizeSessionKey(flags.session, { defaultAgentId: fallback });
  const agentId = sessionKeyAgentId(parseSessionKey(sessionKey), flags.agent ?? fallback);
  if (flags.agent && flags.agent !== agentId) {
    throw usageError(`--session ${sessionKey} belongs to agent '${agentId}', not '${flags.agent}'`);
  }
  return { agentId, sessionKey };
}

/** The resolved agent `agentId`, or `UNKNOWN_AGENT_ID` naming the configured ones. */
export function findAgent(config: Config, agents: ResolvedAgent[], agentId: string): ResolvedAgent {
  const agent = agents.find((a) => a.id === agentId);
  if (agent) return agent;
  const known = agents.map((a) => a.id);
  throw new CarapaceError(
    'UNKNOWN_AGENT_ID',
    `unknown agent '${agentId}' (configured: ${known.join(', ')}${config.agents.list.length ? '' : ' — agents.list is empty'})`,
    { details: { agentId, known } },
  );
}

/**
 * The system prompt the gateway would build for a turn of this agent and session, with the same inputs
 * as a gateway turn (src/gateway/runs/turn-model.ts): workspace files, caps from
 * `agents.defaults.context`, identity, the tools the policy allows, runtime line.
 */
export async function contextReport(
  config: Config,
  agent: ResolvedAgent,
  sessionKey: string,
  now: number,
): Promise<ContextReport> {
  const defaults = config.agents.defaults;
  return assembleContext({
    workspaceDir: agent.workspaceDir,
    readFile: (p) => readFile(p, 'utf8'),
    session: { main: sessionKey.endsWith(':main'), heartbeat: false },
    fileMaxChars: defaults.context.fileMaxChars,
    totalMaxChars: defaults.context.totalMaxChars,
    identity: { agentId: agent.id, name: agent.name },
    tools: await describeAgentTools(config, agent),
    now,
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    runtime: { model: agent.model ?? 'none configured', node: process.version, os: process.platform },
  });
}

function formatReport(report: ContextReport, agent: ResolvedAgent, sessionKey: string, config: Config) {
  const caps = config.agents.defaults.context;
  const files = formatTable(
    [
      { header: 'FILE' },
      { header: 'STATUS' },
      { header: 'CHARS', align: 'right' },
      { header: 'INCLUDED', align: 'right' },
      { header: 'NOTE' },
    ],
    report.files.map((f) => [
      f.name,
      f.status === 'truncated' ? pc.yellow(f.status) : f.status,
      formatCount(f.chars),
      formatCount(f.includedChars),
      f.reason ?? '',
    ]),
  );
  const sections = formatTable(
    [{ header: 'SECTION' }, { header: 'CHARS', align: 'right' }],
    report.sections.map((s) => [s.name, formatCount(s.chars)]),
  );
  return [
    `System prompt for agent ${agent.id}, session ${sessionKey}`,
    pc.dim(
      `workspace ${agent.workspaceDir} · caps: ${formatCount(caps.fileMaxChars)} chars per file, ${formatCount(caps.totalMaxChars)} for all files`,
    ),
    '',
    files,
    sections,
    `total ${formatCount(report.chars)} chars, ~${formatCount(report.estimatedTokens)} tokens ${pc.dim('(estimate: 4 chars per token)')}`,
    '',
  ].join('\n');
}

/**
 * `carapace agent context`: what a turn would inject into the system prompt and how big each part is,
 * computed locally from the config and the agent's workspace. `--json` prints the full report (with the
 * prompt), `--print` the prompt itself.
 */
export async function agentContext(ctx: CliContext, flags: AgentContextFlags): Promise<number> {
  const local = await loadLocalConfig(ctx, flags);
  if (!local) return 1;
  const { config, paths } = local;
  const { agentId, sessionKey } = contextTarget(config, flags);
  const agent = findAgent(config, resolveAgents(config, paths), agentId);
  const report = await contextReport(config, agent, sessionKey, Date.now());
  if (flags.json) {
    ctx.io.out(formatJson({ agentId, sessionKey, workspaceDir: agent.workspaceDir, ...report }, true));
  } else if (flags.print) ctx.io.out(`${report.systemPrompt}\n`);
  else ctx.io.out(formatReport(report, agent, sessionKey, config));
  return 0;
}
