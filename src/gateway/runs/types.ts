import type { Cost, Usage } from '../../models/index.js';

/** One accepted message waiting for (or in) its turn. Persisted in the inbox before it is acknowledged. */
export interface TurnRequest {
  v: 1;
  /** The idempotency key of the request that brought it. */
  runId: string;
  /** Where it came from; `agent-bus` is a turn another session set off (sessions_send, sessions_spawn). */
  method: 'agent' | 'chat.send' | 'openai' | 'channel' | 'cron' | 'agent-bus';
  sessionKey: string;
  agentId: string;
  message: string;
  acceptedAt: number;
  thinking?: string;
  timeoutMs?: number;
  extraSystemPrompt?: string;
  queueMode?: 'followup' | 'collect' | 'steer' | 'interrupt';
  /** A heartbeat turn: HEARTBEAT.md goes into the context. */
  heartbeat?: boolean;
  /** A model reference overriding the session's and agent's for this turn. */
  model?: string;
  /** Set when the gateway replays it after a restart. */
  recovered?: boolean;
  /** A channel message: where its reply goes (kept in the inbox, so a replayed turn still answers). */
  reply?: {
    channel: string;
    accountId: string;
    to: string;
    key: string;
    replyTo?: string;
    threadId?: string;
  };
}

/** How a turn ended, for every message it answered. */
export interface TurnResult {
  runId: string;
  sessionKey: string;
  agentId: string;
  sessionId: string;
  status: 'ok' | 'aborted' | 'timeout' | 'error';
  stopReason: string;
  text: string;
  usage: Usage;
  cost: Cost;
  model?: string;
  provider?: string;
  startedAt: number;
  endedAt: number;
  error?: { kind: string; message: string };
  /** The answer was already in the transcript (a replay after a crash): no model call was made. */
  replayed?: boolean;
}
