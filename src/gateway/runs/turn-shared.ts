import type { AgentTool, ContextInput } from '../../agent/index.js';
import type { Config, ThinkingLevel } from '../../config/index.js';
import { emptyCost, emptyUsage, type ModelRuntime } from '../../models/index.js';
import type { LaneJob, SessionStore } from '../../sessions/index.js';
import type { Clock } from '../../shared/index.js';
import type { GatewaySessions } from '../sessions.js';
import type { RunGuard } from '../taint.js';
import type { Broadcast, RunEvents } from './run-events.js';
import type { TurnRequest, TurnResult } from './types.js';

/** What a turn needs from the gateway. */
export interface TurnDeps {
  /** The tools a session may use (after policy); none when absent. */
  tools?: (agentId: string, sessionKey: string) => readonly AgentTool[];
  /** The skills the system prompt lists for an agent (none when absent). */
  skills?: (agentId: string) => Promise<Pick<ContextInput, 'skills' | 'skillsOmitted'>>;
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
  /** Reads workspace files (cached while unchanged on disk). */
  readFile(path: string): Promise<string>;
  /** Masks every registered secret in a value (model output on its way to events and the transcript). */
  redact?: <T>(value: T) => T;
  /** Starts the taint tracking of a run (tainted turns); the turn feeds it every message the model sees. */
  guard?: (run: { runId: string; method: string }) => RunGuard;
}

export function statusOf(stopReason: string): TurnResult['status'] {
  if (stopReason === 'aborted') return 'aborted';
  if (stopReason === 'timeout') return 'timeout';
  if (stopReason === 'error') return 'error';
  return 'ok';
}

/** A reply the gateway gives itself (a chat command, a configuration problem), recorded like a model's. */
export async function localReply(
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
