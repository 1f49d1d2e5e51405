import type { Cost, ModelErrorKind, Usage } from '../models/index.js';
import type { AgentMessage } from './messages.js';

/** Why a run ended. */
export type StopReason = 'stop' | 'length' | 'tool_rounds' | 'aborted' | 'timeout' | 'error';

/** Error kinds of a failed run: the model's, or `internal` (a bug in the loop or a hook, caught). */
export type RunErrorKind = ModelErrorKind | 'internal';

/**
 * One event of a run. `stream` and `data` match the protocol's `agent` event (PROTOCOL.md), so the
 * gateway adds `runId`, `seq`, `sessionKey` and `agentId` and sends it as is.
 * - `lifecycle`: `start` first; last either `end` or (stopReason `error`) `error`.
 * - `assistant`: `text` is everything the current assistant message has said so far, `delta` the news.
 * - `tool`: `start` before a call runs (args as the model sent them), `result` after (sanitized text).
 * - `usage`: after each model call, for that call.
 * - `model`: the model stream is retrying or failing over (informational; not a protocol stream).
 */
export type AgentEvent = { ts: number } & (
  | {
      stream: 'lifecycle';
      data:
        | { phase: 'start'; startedAt: number }
        | { phase: 'end'; startedAt: number; endedAt: number; aborted: boolean; stopReason: StopReason }
        | {
            phase: 'error';
            startedAt: number;
            endedAt: number;
            stopReason: 'error';
            error: string;
            errorKind: RunErrorKind;
          };
    }
  | { stream: 'assistant'; data: { text: string; delta: string } }
  | {
      stream: 'tool';
      data:
        | { phase: 'start'; name: string; toolCallId: string; args: unknown }
        | { phase: 'result'; name: string; toolCallId: string; isError: boolean; result: string };
    }
  | { stream: 'usage'; data: { usage: Usage; cost: Cost; model: string; provider: string } }
  | {
      stream: 'model';
      data: { phase: 'retry'; ref: string; next: 'same' | 'key' | 'model'; delayMs: number; error: string };
    }
);

/** What a run produced. */
export interface AgentRunResult {
  /** Messages to append to the transcript, in order (assistant messages, tool results, steered user turns). */
  newMessages: AgentMessage[];
  stopReason: StopReason;
  /** Sums over every model call of the run. */
  usage: Usage;
  cost: Cost;
  /** Set when stopReason is `error`. */
  error?: { kind: RunErrorKind; message: string };
  /** The text of the last assistant message the model wrote (a stopped run's empty closing one aside). */
  text: string;
  /** Model → tools cycles that ran. */
  toolRounds: number;
  /** The model that answered last, as `provider/model`, and its provider id. */
  model?: string;
  provider?: string;
  startedAt: number;
  endedAt: number;
}

/** A running agent: iterate it for events; `result` settles when the run ends (it never rejects). */
export interface AgentRun extends AsyncIterable<AgentEvent> {
  readonly result: Promise<AgentRunResult>;
}
