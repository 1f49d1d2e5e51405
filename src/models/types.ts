import Type, { type Static } from 'typebox';
import type { ThinkingLevel } from '../config/index.js';

/** A run of text in a message. */
export const TextPartSchema = Type.Object({ type: Type.Literal('text'), text: Type.String() });
export type TextPart = Static<typeof TextPartSchema>;

/**
 * A tool call the model made. `arguments` is the parsed JSON object; when the model sent text that is not a
 * JSON object it is kept as that raw string (and sent back to providers as `{}`).
 */
export const ToolCallPartSchema = Type.Object({
  type: Type.Literal('toolCall'),
  id: Type.String(),
  name: Type.String(),
  arguments: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.String()]),
});
export type ToolCallPart = Static<typeof ToolCallPartSchema>;

/** What the user (or a channel, cron, heartbeat …) said. */
export const ModelUserMessageSchema = Type.Object({
  role: Type.Literal('user'),
  content: Type.Union([Type.String(), Type.Array(TextPartSchema)]),
});
/** What the model answered: text and tool calls, in order. */
export const ModelAssistantMessageSchema = Type.Object({
  role: Type.Literal('assistant'),
  content: Type.Array(Type.Union([TextPartSchema, ToolCallPartSchema])),
});
/** The result of one tool call, answering the call with the same id. */
export const ModelToolResultMessageSchema = Type.Object({
  role: Type.Literal('toolResult'),
  toolCallId: Type.String(),
  toolName: Type.String(),
  content: Type.Array(TextPartSchema),
  isError: Type.Boolean(),
});
export type ModelUserMessage = Static<typeof ModelUserMessageSchema>;
export type ModelAssistantMessage = Static<typeof ModelAssistantMessageSchema>;
export type ModelToolResultMessage = Static<typeof ModelToolResultMessageSchema>;

/**
 * The conversation as the model sees it (the provider-neutral prompt). The agent's transcript messages
 * are a superset (they add timestamps, usage …) and can be passed as they are.
 */
export type ModelMessage = ModelUserMessage | ModelAssistantMessage | ModelToolResultMessage;

/** A tool offered to the model: its input as JSON Schema (TypeBox schemas are JSON Schema). */
export interface ToolSpec {
  name: string;
  description: string;
  jsonSchema: Record<string, unknown>;
}

/** Token counts. `input` excludes cached tokens, which are counted in `cacheRead` / `cacheWrite`. */
export const UsageSchema = Type.Object({
  input: Type.Integer({ minimum: 0 }),
  output: Type.Integer({ minimum: 0 }),
  cacheRead: Type.Integer({ minimum: 0 }),
  cacheWrite: Type.Integer({ minimum: 0 }),
});
export type Usage = Static<typeof UsageSchema>;

/** Cost in USD, by the model's price table (`models.providers.<id>.models[].cost`). */
export const CostSchema = Type.Object({
  input: Type.Number({ minimum: 0 }),
  output: Type.Number({ minimum: 0 }),
  cacheRead: Type.Number({ minimum: 0 }),
  cacheWrite: Type.Number({ minimum: 0 }),
  total: Type.Number({ minimum: 0 }),
});
export type Cost = Static<typeof CostSchema>;

/** Why a reply ended. */
export type FinishReason = 'stop' | 'length' | 'tool-calls' | 'content-filter' | 'error' | 'other';

/**
 * Error kinds: `auth` (401/403 or no usable key), `rate_limit` (429), `server` (5xx), `network`,
 * `context_overflow` (prompt longer than the window: compact and retry), `bad_request` (other 4xx),
 * `not_configured` (unknown model ref), `aborted` (the caller's signal), `unknown`.
 */
export type ModelErrorKind =
  | 'auth'
  | 'rate_limit'
  | 'server'
  | 'network'
  | 'context_overflow'
  | 'bad_request'
  | 'not_configured'
  | 'aborted'
  | 'unknown';

/** A failure, already scrubbed of API keys. */
export interface ModelError {
  kind: ModelErrorKind;
  message: string;
  retryable: boolean;
  retryAfterMs?: number;
  status?: number;
  /** The model ref the failure happened on, when it was one. */
  ref?: string;
}

/**
 * A normalized event of one model call. A stream ends with exactly one `finish` or `error`.
 * - `start`: the model that is answering (after any retries and failover); before the first content.
 * - `retry`: the last attempt failed and the stream moves on: `next` is `same` (after `delayMs`), `key`
 *   (next auth profile) or `model` (next fallback).
 * - `tool-call`: `args` is the raw JSON text as the model sent it (or an object, for providers that parse).
 * - `usage`: once per call, before `finish`, with the cost by the serving model's price table.
 */
export type ModelEvent =
  | { type: 'start'; ref: string; provider: string; model: string; profile: string; attempt: number }
  | {
      type: 'retry';
      ref: string;
      profile: string;
      attempt: number;
      delayMs: number;
      next: 'same' | 'key' | 'model';
      error: ModelError;
    }
  | { type: 'text-delta'; delta: string }
  | { type: 'tool-call'; id: string; name: string; args: string | Record<string, unknown> }
  | { type: 'usage'; usage: Usage; cost: Cost }
  | { type: 'finish'; reason: FinishReason }
  | { type: 'error'; error: ModelError };

/** One model call. */
export interface ModelStreamRequest {
  /** `'<provider id>/<model id>'`. */
  model: string;
  /** Refs tried in order when the primary fails (after its retries and keys). */
  fallbacks?: readonly string[];
  system?: string;
  messages: readonly ModelMessage[];
  tools?: readonly ToolSpec[];
  signal?: AbortSignal;
  /** Most output tokens; defaults to the model's `maxTokens`. */
  maxTokens?: number;
  /** Reasoning effort for OpenAI reasoning models ('off' or absent sends nothing). */
  thinking?: ThinkingLevel;
}

/**
 * The port the agent loop streams through. Implementations never throw: every failure is an `error`
 * event. Tools are never executed here; tool calls are only reported.
 */
export interface ModelStream {
  stream(request: ModelStreamRequest): AsyncIterable<ModelEvent>;
}
