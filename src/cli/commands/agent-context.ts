import { readFile } from 'node:fs/promises';
import pc from 'picocolors';
import { assembleContext, type ContextReport } from '../../agent/index.js';
import { type Config, processEnvironment, type StatePaths } from '../../config/index.js';
import {
  defaultAgentId,
  normalizeSessionKey,
  parseSessionKey,
  type ResolvedAgent,
  resolveAgents,
  sessionKeyAgentId,
} from '../../routing/index.js';
import { CarapaceError } from '../../shared/index.js';
import {
  type AgentSkillsInput,
  agentSkillsPrompt,
  findBundledSkillsDir,
  listAgentSkills,
  type SkillSource,
  type SkillsPrompt,
  SkillsRegistry,
} from '../../skills/index.js';
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

/** One skill the agent could see, and what it costs in the system prompt. */
export interface ContextSkill {
  name: string;
  source: SkillSource;
  /** Its requirements are met and nothing shadows or disables it. */
  eligible: boolean;
  /** Listed in the prompt (eligible, skills.enabled, and within skills.promptMaxChars). */
  inPrompt: boolean;
  /** Characters its line takes in the prompt (0 when not listed). */
  promptChars: number;
  /** Why it is not listed: unmet requirements, shadowed, over the budget, skills turned off. */
  reasons: string[];
  file: string;
}

/** The skills section of a turn: what the prompt lists and every skill with its status. */
export interface ContextSkills {
  prompt: SkillsPrompt;
  skills: ContextSkill[];
}

/**
 * The skills of one agent as a gateway turn sees them: the prompt listing comes from `agentSkillsPrompt`,
 * the function the gateway calls for each turn, with the same roots (workspace, managed, bundled, extra).
 */
export async function contextSkills(
  config: Config,
  agent: ResolvedAgent,
  paths: StatePaths,
): Promise<ContextSkills> {
  const input: AgentSkillsInput = {
    registry: new SkillsRegistry(),
    config,
    workspaceDir: agent.workspaceDir,
    managedDir: paths.skillsDir,
    bundledDir: await findBundledSkillsDir(),
    env: processEnvironment(),
    platform: process.platform,
  };
  const listing = await listAgentSkills(input);
  const prompt = await agentSkillsPrompt(input);
  const listed = new Map(prompt.skills.map((s) => [s.name, s]));
  const skills = listing.skills.map((s): ContextSkill => {
    const line = s.eligible ? listed.get(s.name) : undefined;
    const reasons = [...s.reasons];
    if (s.shadowedBy && !reasons.some((r) => r.includes(s.shadowedBy ?? ''))) {
      reasons.push(`shadowed by ${s.shadowedBy}`);
    }
    if (s.eligible && !line) {
      reasons.push(
        config.skills.enabled ? 'over the list budget (skills.promptMaxChars)' : 'skills.enabled is false',
      );
    }
    return {
      name: s.name,
      source: s.source,
      eligible: s.eligible,
      inPrompt: line !== undefined,
      // The line the prompt shows (see the skills section of assembleContext) and its newline.
      promptChars: line ? `- ${line.name}: ${line.description} (${line.location})`.length + 1 : 0,
      reasons,
      file: s.file,
    };
  });
  return { prompt, skills };
}

/**
 * The system prompt the gateway would build for a turn of this agent and session, with the same inputs
 * as a gateway turn (src/gateway/runs/turn-model.ts): workspace files, caps from
 * `agents.defaults.context`, identity, the tools the policy allows, the skills listed, runtime line.
 */
export async function contextReport(
  config: Config,
  agent: ResolvedAgent,
  sessionKey: string,
  now: number,
  skills?: SkillsPrompt,
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
    ...(skills ? { skills: skills.skills, skillsOmitted: skills.skillsOmitted } : {}),
    now,
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    runtime: { model: agent.model ?? 'none configured', node: process.version, os: process.platform },
  });
}

function skillStatus(s: ContextSkill): string {
  if (s.inPrompt) return pc.green('in prompt');
  if (s.eligible) return pc.yellow('not listed');
  return s.reasons.some((r) => r.startsWith('shadowed')) ? pc.dim('shadowed') : pc.yellow('blocked');
}

function formatSkills(skills: ContextSkills, config: Config): string {
  if (skills.skills.length === 0) return `${pc.dim('no skills found')}\n`;
  const table = formatTable(
    [
      { header: 'SKILL' },
      { header: 'SOURCE' },
      { header: 'STATUS' },
      { header: 'CHARS', align: 'right' },
      { header: 'NOTE' },
    ],
    skills.skills.map((s) => [
      s.name,
      s.source,
      skillStatus(s),
      s.inPrompt ? formatCount(s.promptChars) : '',
      s.reasons.join('; '),
    ]),
  );
  const listed = skills.prompt.skills.length;
  const budget = `${listed} listed within skills.promptMaxChars ${formatCount(config.skills.promptMaxChars)}`;
  const omitted = skills.prompt.skillsOmitted ? `, ${skills.prompt.skillsOmitted} left out` : '';
  return `${table}${pc.dim(`${budget}${omitted}`)}\n`;
}

function formatReport(
  report: ContextReport,
  agent: ResolvedAgent,
  sessionKey: string,
  config: Config,
  skills: ContextSkills,
) {
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
    formatSkills(skills, config),
    sections,
    `total ${formatCount(report.chars)} chars, ~${formatCount(report.estimatedTokens)} tokens ${pc.dim('(estimate: 4 chars per token)')}`,
    '',
  ].join('\n');
}

/**
 * `carapace agent context`: what a turn would inject into the system prompt and how big each part is,
 * computed locally from the config and the agent's workspace, with every skill (listed or why not). `--json` prints the full report (with the
 * prompt), `--print` the prompt itself.
 */
export async function agentContext(ctx: CliContext, flags: AgentContextFlags): Promise<number> {
  const local = await loadLocalConfig(ctx, flags);
  if (!local) return 1;
  const { config, paths } = local;
  const { agentId, sessionKey } = contextTarget(config, flags);
  const agent = findAgent(config, resolveAgents(config, paths), agentId);
  const skills = await contextSkills(config, agent, paths);
  const report = await contextReport(config, agent, sessionKey, Date.now(), skills.prompt);
  if (flags.json) {
    const json = {
      agentId,
      sessionKey,
      workspaceDir: agent.workspaceDir,
      ...report,
      skills: skills.skills,
      skillsOmitted: skills.prompt.skillsOmitted,
    };
    ctx.io.out(formatJson(json, true));
  } else if (flags.print) ctx.io.out(`${report.systemPrompt}\n`);
  else ctx.io.out(formatReport(report, agent, sessionKey, config, skills));
  return 0;
}
