import { parseChatCommand, userMessage } from '../../agent/index.js';
import { agentModelChain, emptyCost, emptyUsage, resolveModel } from '../../models/index.js';
import type { LaneJob, MessageEntry } from '../../sessions/index.js';
import { errorMessage } from '../../shared/index.js';
import { contextWithIds } from './convert.js';
import { RunEvents } from './run-events.js';
import { runModelTurn } from './turn-model.js';
import { localReply, type TurnDeps } from './turn-shared.js';
import type { TurnRequest, TurnResult } from './types.js';

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
  const { messages: context, ids } = contextWithIds(current.entries);
  for (const m of job.messages) {
    if (seen.has(m.runId)) continue; // recorded before a crash: already in the context
    const text = m === first ? message : m.message;
    // Not synced: the inbox holds the accepted message durably until its reply is recorded.
    const recordedEntry = await store.appendMessage(
      sessionKey,
      { role: 'user', content: text, runId: m.runId },
      { durable: false },
    );
    context.push(userMessage(text, m.acceptedAt));
    ids.push(recordedEntry.id);
  }
  return runModelTurn({
    job,
    deps,
    config,
    agent,
    store,
    entry,
    events,
    base: base(),
    context,
    ids,
    command,
  });
}
