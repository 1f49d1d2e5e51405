import {
  type AgentMessage,
  type AgentRunResult,
  type AgentTool,
  type AgentUserMessage,
  assembleContext,
  type ChatCommand,
  runAgent,
  userMessage,
} from '../../agent/index.js';
import type { Config, ThinkingLevel } from '../../config/index.js';
import { agentModelChain, resolveModel } from '../../models/index.js';
import type { ResolvedAgent } from '../../routing/index.js';
import type { LaneJob, SessionEntry, SessionStore } from '../../sessions/index.js';
import { isCarapaceError } from '../../shared/index.js';
import { maybeCompact } from './compact.js';
import { toTranscriptFields } from './convert.js';
import type { RunEvents } from './run-events.js';
import { localReply, statusOf, type TurnDeps } from './turn-shared.js';
import type { TurnRequest, TurnResult } from './types.js';

export interface ModelTurnInput {
  job: LaneJob<TurnRequest>;
  deps: TurnDeps;
  config: Config;
  agent: ResolvedAgent;
  store: SessionStore;
  entry: SessionEntry;
  events: RunEvents;
  base: Pick<TurnResult, 'runId' | 'sessionKey' | 'agentId' | 'sessionId' | 'startedAt'>;
  context: AgentMessage[];
  ids: (string | undefined)[];
  command: ChatCommand | undefined;
}

/** The part of a turn that talks to the model: system prompt, compaction, the loop, recording. */
export async function runModelTurn(input: ModelTurnInput): Promise<TurnResult> {
  const { job, deps, config, agent, store, entry, events, base, command } = input;
  const { sessionKey } = job;
  const { agentId, runId } = base;
  const first = job.messages[0]!;
  const chain = agentModelChain(config, agentId);
  const model = first.model ?? entry.model ?? chain.model;
  try {
    resolveModel(config.models, model);
  } catch (err) {
    if (!isCarapaceError(err)) throw err;
    return localReply(job, store, events, base, err.message, { kind: 'config', message: err.message });
  }
  const ref = model!;
  const guard = deps.guard?.({ runId, method: first.method });
  for (const m of input.context) guard?.observe(m);
  const fallbacks = first.model || entry.model ? [] : chain.fallbacks;
  const defaults = config.agents.defaults;
  // One deadline for the turn, shared by compaction and the agent run.
  const turnTimeoutMs = first.timeoutMs ?? defaults.timeoutSeconds * 1000;
  const turnStart = deps.clock.monotonic();
  const timeLeft = () => Math.max(1, turnTimeoutMs - (deps.clock.monotonic() - turnStart));
  const tools: readonly AgentTool[] = deps.tools?.(agentId, sessionKey) ?? [];
  const skillsListed = deps.skills?.(agentId);
  const report = await assembleContext({
    workspaceDir: agent.workspaceDir,
    readFile: deps.readFile,
    session: { main: sessionKey.endsWith(':main'), heartbeat: first.heartbeat === true },
    fileMaxChars: defaults.context.fileMaxChars,
    totalMaxChars: defaults.context.totalMaxChars,
    identity: { agentId, name: agent.name },
    tools,
    ...(await skillsListed),
    now: deps.clock.now(),
    timeZone: deps.timeZone,
    runtime: { model: ref, node: process.version, os: process.platform },
    ...(first.extraSystemPrompt ? { extraSystemPrompt: first.extraSystemPrompt } : {}),
  });
  const runtime = deps.models(agentId);
  const secrets = () => [...runtime.knownSecrets(), ...deps.secrets()];
  const compact = (force: boolean, instructions?: string) =>
    maybeCompact({
      config,
      store,
      runtime,
      sessionKey,
      agentId,
      runId,
      model: ref,
      fallbacks,
      system: report.systemPrompt,
      messages: context,
      ids,
      force,
      ...(instructions ? { instructions } : {}),
      tools,
      secrets,
      signal: job.signal,
      date: new Date(deps.clock.now()).toISOString().slice(0, 10),
      timeoutMs: timeLeft(),
      idleTimeoutMs: defaults.idleTimeoutSeconds * 1000,
    });

  let context = input.context;
  let ids = input.ids;
  if (command?.name === 'compact') {
    const done = await compact(true, command.instructions);
    const text = done.compacted
      ? `Compacted the conversation: about ${done.tokensBefore} → ${done.tokensAfter} tokens.`
      : (done.error ?? 'Nothing to compact yet.');
    return localReply(
      job,
      store,
      events,
      base,
      text,
      done.error ? { kind: 'compaction', message: done.error } : undefined,
    );
  }
  const auto = await compact(false);
  ({ messages: context, ids } = auto);

  const steeredIds = new Map<AgentUserMessage, string>();
  const thinking = (deps.thinking.get(sessionKey) ?? first.thinking) as ThinkingLevel | undefined;
  const runOnce = async (messages: AgentMessage[]): Promise<AgentRunResult> => {
    const run = runAgent({
      runId,
      sessionKey,
      agentId,
      messages,
      tools,
      stream: runtime,
      model: ref,
      fallbacks,
      ...(thinking ? { thinking } : {}),
      system: report.systemPrompt,
      signal: job.signal,
      maxToolRounds: defaults.maxToolRounds,
      runTimeoutMs: timeLeft(),
      idleTimeoutMs: defaults.idleTimeoutSeconds * 1000,
      toolResultMaxChars: defaults.toolResultMaxChars,
      secrets,
      ...(guard ? { observe: guard.observe } : {}),
      takeSteered: () =>
        job.takeSteered().map((r) => {
          const m = userMessage(r.message, r.acceptedAt);
          steeredIds.set(m, r.runId);
          return m;
        }),
    });
    for await (const ev of run) events.agent(deps.redact ? deps.redact(ev) : ev);
    return run.result;
  };
  let result = await runOnce(context);
  if (result.error?.kind === 'context_overflow') {
    // The provider says the context is too big: compact now and try once more.
    const forced = await compact(true);
    if (forced.compacted) result = await runOnce(forced.messages);
  }
  if (deps.redact) result = deps.redact(result);
  for (const m of result.newMessages) {
    const id = (m.role === 'user' && steeredIds.get(m)) || runId;
    await store.appendMessage(sessionKey, toTranscriptFields(m, id));
  }
  guard?.end();
  events.end(result);
  const out: TurnResult = {
    ...base,
    status: statusOf(result.stopReason),
    stopReason: result.stopReason,
    text: result.text,
    usage: result.usage,
    cost: result.cost,
    endedAt: result.endedAt,
  };
  if (result.model) out.model = result.model;
  if (result.provider) out.provider = result.provider;
  if (result.error) out.error = result.error;
  return out;
}
