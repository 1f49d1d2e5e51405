import { readFile } from 'node:fs/promises';
import {
  type AgentMessage,
  type AgentRunResult,
  type AgentUserMessage,
  assembleContext,
  parseChatCommand,
  runAgent,
  userMessage,
} from '../../agent/index.js';
import type { Config, ThinkingLevel } from '../../config/index.js';
import {
  agentModelChain,
  emptyCost,
  emptyUsage,
  type ModelRuntime,
  resolveModel,
} from '../../models/index.js';
import type { LaneJob, MessageEntry, SessionStore } from '../../sessions/index.js';
import { type Clock, errorMessage, isCarapaceError } from '../../shared/index.js';
import type { GatewaySessions } from '../sessions.js';
import { contextFromTranscript, toTranscriptFields } from './convert.js';
import { type Broadcast, RunEvents } from './run-events.js';
import type { TurnRequest, TurnResult } from './types.js';

/** What a turn needs from the gateway. */
export interface TurnDeps {
  config(): Config;
  sessions: GatewaySessions;
  models(agentId: string): ModelRuntime;
  broadcast: Broadcast;
  /** Extra strings to scrub from tool results (the gateway secret …). */
  secrets(): string[];
  clock: Clock;
  timeZone: string;
  /** Per-session settings chat commands change (`/think`). */
  thinking: Map<string, ThinkingLevel>;
}

function statusOf(stopReason: string): TurnResult['status'] {
  if (stopReason === 'aborted') return 'aborted';
  if (stopReason === 'timeout') return 'timeout';
  if (stopReason === 'error') return 'error';
  return 'ok';
}

/** The final assistant reply recorded for `runId`, if the transcript already has one (a crash replay). */
function recordedReply(entries: readonly { type: string }[], runId: string): MessageEntry | undefined {
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i] as MessageEntry;
    const final = e.stopReason === undefined || e.stopReason === 'stop' || e.stopReason === 'length';
    if (
      e.type === 'message' &&
      e.role === 'assistant' &&
      e.runId === runId &&
      final &&
      !e.toolCalls?.length
    ) {
      return e;
    }
  }
  return undefined;
}

function textOf(entry: MessageEntry): string {
  return typeof entry.content === 'string'
    ? entry.content
    : entry.content.map((p) => String(p.text ?? '')).join('');
}

/** A reply the gateway gives itself (a chat command, a configuration problem), recorded like a model's. */
async function localReply(
  job: LaneJob<TurnRequest>,
  store: SessionStore,
  events: RunEvents,
  base: Pick<TurnResult, 'runId' | 'sessionKey' | 'agentId' | 'sessionId' | 'startedAt'>,
  text: string,
  error?: { kind: string; message: string },
): Promise<TurnResult> {
  const now = Date.now();
  const stopReason = error ? 'error' : 'stop';
  await store.appendMessage(
    job.sessionKey,
    {
      role: 'assistant',
      content: text,
      stopReason,
      runId: base.runId,
      ...(error ? { errorMessage: error.message } : {}),
    },
    { durable: true },
  );
  if (error) {
    events.lifecycle({
      phase: 'error',
      startedAt: base.startedAt,
      endedAt: now,
      stopReason,
      error: error.message,
      errorKind: error.kind,
    });
  } else {
    events.agent({ ts: now, stream: 'assistant', data: { text, delta: text } });
    events.lifecycle({ phase: 'end', startedAt: base.startedAt, endedAt: now, aborted: false, stopReason });
  }
  const result: TurnResult = {
    ...base,
    status: error ? 'error' : 'ok',
    stopReason,
    text,
    usage: emptyUsage(),
    cost: emptyCost(),
    endedAt: now,
  };
  if (error) result.error = error;
  events.end({
    stopReason,
    text,
    usage: result.usage,
    ...(error ? { error: { kind: 'internal', message: error.message } } : {}),
  });
  return result;
}

/**
 * One turn of one session (the lane's run function): record the user message(s) durably, build the
 * context from the transcript and the workspace, run the agent loop with events going out live, record
 * what it said. A message whose reply is already recorded (replayed after a crash) is answered from the
 * transcript without calling the model again.
 */
export async function runTurn(job: LaneJob<TurnRequest>, deps: TurnDeps): Promise<TurnResult> {
  const first = job.messages[0]!;
  const runId = job.messages[job.messages.length - 1]!.runId;
  const { sessionKey } = job;
  const { agentId } = first;
  const config = deps.config();
  const agent = deps.sessions.agent(agentId);
  const store = deps.sessions.store(agentId);
  const startedAt = deps.clock.now();
  const events = new RunEvents(runId, sessionKey, agentId, deps.broadcast);
  events.lifecycle({ phase: 'start', startedAt });

  const reset = config.session.reset;
  let { entry } = await store.ensureSession(sessionKey, {
    resetPolicy: {
      mode: reset.mode,
      atHour: reset.atHour,
      idleMinutes: reset.idleMinutes,
      timeZone: deps.timeZone,
    },
    origin: { source: first.method === 'agent' ? 'agent' : 'ws' },
  });
  const base = () => ({ runId, sessionKey, agentId, sessionId: entry.sessionId, startedAt });

  const loaded = await store.loadTranscript(sessionKey);
  const recorded = recordedReply(loaded.entries, runId);
  if (recorded) {
    const text = textOf(recorded);
    events.lifecycle({
      phase: 'end',
      startedAt,
      endedAt: deps.clock.now(),
      aborted: false,
      stopReason: 'stop',
    });
    events.end({ stopReason: 'stop', text, usage: emptyUsage() });
    return {
      ...base(),
      status: 'ok',
      stopReason: recorded.stopReason ?? 'stop',
      text,
      usage: emptyUsage(),
      cost: emptyCost(),
      endedAt: deps.clock.now(),
      replayed: true,
    };
  }
  // Chat commands act before the model sees anything.
  const command = job.messages.length === 1 ? parseChatCommand(first.message) : undefined;
  let message = first.message;
  const recordedUser = loaded.entries.some(
    (e) => e.type === 'message' && e.role === 'user' && e.runId === runId,
  );
  const recordCommand = async () => {
    if (!recordedUser)
      await store.appendMessage(
        sessionKey,
        { role: 'user', content: first.message, runId },
        { durable: true },
      );
  };
  if (command && command.name !== 'new' && command.name !== 'reset') await recordCommand();
  if (command) {
    if (command.name === 'new' || command.name === 'reset') {
      entry = await store.resetSession(sessionKey, command.name);
      if (!command.message) {
        await recordCommand();
        return localReply(job, store, events, base(), 'Started a new session.');
      }
      message = command.message;
    } else if (command.name === 'status') {
      const chain = agentModelChain(config, agentId);
      const text = `Session ${sessionKey} (${entry.sessionId}): ${entry.messageCount} messages, ${entry.tokens.total} tokens. Model: ${entry.model ?? chain.model ?? 'none configured'}.`;
      return localReply(job, store, events, base(), text);
    } else if (command.name === 'model') {
      if (!command.ref)
        return localReply(
          job,
          store,
          events,
          base(),
          `Model: ${entry.model ?? agentModelChain(config, agentId).model ?? 'none configured'}`,
        );
      try {
        resolveModel(config.models, command.ref);
      } catch (err) {
        return localReply(job, store, events, base(), errorMessage(err), {
          kind: 'invalid',
          message: errorMessage(err),
        });
      }
      await store.updateSession(sessionKey, { model: command.ref });
      return localReply(job, store, events, base(), `Model set to ${command.ref} for this session.`);
    } else if (command.name === 'think') {
      if (command.level) deps.thinking.set(sessionKey, command.level);
      return localReply(
        job,
        store,
        events,
        base(),
        `Thinking: ${deps.thinking.get(sessionKey) ?? 'default'}`,
      );
    } else if (command.name === 'invalid') {
      return localReply(job, store, events, base(), command.message, {
        kind: 'invalid',
        message: command.message,
      });
    }
  }

  const current =
    command?.name === 'new' || command?.name === 'reset' ? await store.loadTranscript(sessionKey) : loaded;
  const seen = new Set(
    current.entries.flatMap((e) => (e.type === 'message' && e.role === 'user' && e.runId ? [e.runId] : [])),
  );
  const context: AgentMessage[] = contextFromTranscript(current.entries);
  for (const m of job.messages) {
    if (seen.has(m.runId)) continue; // recorded before a crash: already in the context
    const text = m === first ? message : m.message;
    await store.appendMessage(sessionKey, { role: 'user', content: text, runId: m.runId }, { durable: true });
    context.push(userMessage(text, m.acceptedAt));
  }

  const chain = agentModelChain(config, agentId);
  const model = entry.model ?? chain.model;
  try {
    resolveModel(config.models, model);
  } catch (err) {
    if (!isCarapaceError(err)) throw err;
    return localReply(job, store, events, base(), err.message, { kind: 'config', message: err.message });
  }

  const defaults = config.agents.defaults;
  const report = await assembleContext({
    workspaceDir: agent.workspaceDir,
    readFile: (p) => readFile(p, 'utf8'),
    session: { main: sessionKey.endsWith(':main'), heartbeat: false },
    fileMaxChars: defaults.context.fileMaxChars,
    totalMaxChars: defaults.context.totalMaxChars,
    identity: { agentId, name: agent.name },
    tools: [],
    now: deps.clock.now(),
    timeZone: deps.timeZone,
    runtime: { model: model!, node: process.version, os: process.platform },
    ...(first.extraSystemPrompt ? { extraSystemPrompt: first.extraSystemPrompt } : {}),
  });

  const runtime = deps.models(agentId);
  const steeredIds = new Map<AgentUserMessage, string>();
  const timeoutMs = first.timeoutMs ?? defaults.timeoutSeconds * 1000;
  const thinking = (deps.thinking.get(sessionKey) ?? first.thinking) as ThinkingLevel | undefined;
  const run = runAgent({
    runId,
    sessionKey,
    agentId,
    messages: context,
    tools: [],
    stream: runtime,
    model: model!,
    fallbacks: entry.model ? [] : chain.fallbacks,
    ...(thinking ? { thinking } : {}),
    system: report.systemPrompt,
    signal: job.signal,
    maxToolRounds: defaults.maxToolRounds,
    runTimeoutMs: timeoutMs,
    idleTimeoutMs: defaults.idleTimeoutSeconds * 1000,
    toolResultMaxChars: defaults.toolResultMaxChars,
    secrets: () => [...runtime.knownSecrets(), ...deps.secrets()],
    takeSteered: () =>
      job.takeSteered().map((r) => {
        const m = userMessage(r.message, r.acceptedAt);
        steeredIds.set(m, r.runId);
        return m;
      }),
  });
  for await (const ev of run) events.agent(ev);
  const result: AgentRunResult = await run.result;
  for (const m of result.newMessages) {
    const id = (m.role === 'user' && steeredIds.get(m)) || runId;
    await store.appendMessage(sessionKey, toTranscriptFields(m, id));
  }
  events.end(result);
  const out: TurnResult = {
    ...base(),
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
