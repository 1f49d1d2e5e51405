import Type, { type Static } from 'typebox';
import {
  addCost,
  addUsage,
  CostSchema,
  emptyCost,
  emptyUsage,
  type ModelError,
  type ModelStream,
  UsageSchema,
} from '../models/index.js';
import type { AgentRunResult } from './events.js';
import { type AgentRunInput, runAgent } from './loop.js';
import { type AgentMessage, type AgentUserMessage, messageText, userMessage } from './messages.js';
import { estimateContextTokens, estimateMessageTokens } from './tokens.js';

/** The reply with which a silent turn (memory flush, heartbeat) says "nothing to deliver". */
export const SILENT_REPLY = 'NO_REPLY';

/** The user turn that asks the agent to save what matters before older turns are summarized. */
export function memoryFlushPrompt(date: string): string {
  return `Pre-compaction memory flush: older turns of this conversation are about to be replaced by a summary. Save anything worth keeping (decisions, facts about the user, open tasks) by appending it to memory/${date}.md in the workspace now. Reply with ${SILENT_REPLY} when done, or if there is nothing to save.`;
}

const SUMMARY_SYSTEM =
  'You write handover summaries of conversations between a user and an AI assistant, so that the assistant can continue the work with only the summary and the most recent turns. Be factual and concise; never invent details.';

/** A persisted compaction: the summary replaces `messages[0 … firstKeptIndex)`. */
export const CompactionRecordSchema = Type.Object({
  type: Type.Literal('compaction'),
  version: Type.Literal(1),
  timestamp: Type.Number(),
  summary: Type.String(),
  firstKeptIndex: Type.Integer({ minimum: 0 }),
  tokensBefore: Type.Integer({ minimum: 0 }),
  tokensAfter: Type.Integer({ minimum: 0 }),
  model: Type.Optional(Type.String()),
  usage: UsageSchema,
  cost: CostSchema,
});
export type CompactionRecord = Static<typeof CompactionRecordSchema>;

/** Whether a conversation is close enough to the model's window to compact. */
export function checkCompaction(options: {
  messages: readonly AgentMessage[];
  system?: string;
  contextWindow: number;
  thresholdRatio: number;
}): { needed: boolean; estimatedTokens: number; limitTokens: number } {
  const estimatedTokens = estimateContextTokens(options.messages, options.system);
  const limitTokens = Math.floor(options.contextWindow * options.thresholdRatio);
  return { needed: estimatedTokens > limitTokens, estimatedTokens, limitTokens };
}

/**
 * Where to cut: keep at least `keepRecentTokens` of the newest messages, cutting only before a user or
 * assistant message (a tool result stays with its call). Undefined when nothing older would remain.
 */
export function planCompaction(
  messages: readonly AgentMessage[],
  keepRecentTokens: number,
): { firstKeptIndex: number; older: AgentMessage[]; recent: AgentMessage[] } | undefined {
  let kept = 0;
  let index = messages.length;
  while (index > 0 && kept < keepRecentTokens) kept += estimateMessageTokens(messages[--index]!);
  if (keepRecentTokens <= 0) index = messages.length - 1;
  while (index > 0 && messages[index]?.role === 'toolResult') index--;
  if (index <= 0) return undefined;
  return { firstKeptIndex: index, older: messages.slice(0, index), recent: messages.slice(index) };
}

/** The conversation as plain text for the summarizer (long tool results shortened). */
export function serializeForSummary(messages: readonly AgentMessage[], maxToolChars = 2000): string {
  const lines: string[] = [];
  for (const m of messages) {
    if (m.role === 'user') lines.push(`User: ${messageText(m)}`);
    else if (m.role === 'toolResult') {
      const text = messageText(m);
      const shown =
        text.length > maxToolChars ? `${text.slice(0, maxToolChars)}…[${text.length} chars]` : text;
      lines.push(`[Tool result ${m.toolName}${m.isError ? ' (error)' : ''}]: ${shown}`);
    } else {
      for (const p of m.content) {
        if (p.type === 'text') lines.push(`Assistant: ${p.text}`);
        else
          lines.push(
            `[Tool call ${p.name}]: ${typeof p.arguments === 'string' ? p.arguments : JSON.stringify(p.arguments)}`,
          );
      }
    }
  }
  return lines.join('\n');
}

/** The user message that stands in for compacted turns. */
export function compactionSummaryMessage(summary: string, timestamp: number): AgentUserMessage {
  return userMessage(
    `The conversation so far was compacted. Summary of the earlier part:\n\n${summary}`,
    timestamp,
  );
}

/** The context after a compaction: the summary message, then the kept messages. */
export function applyCompaction(messages: readonly AgentMessage[], record: CompactionRecord): AgentMessage[] {
  return [
    compactionSummaryMessage(record.summary, record.timestamp),
    ...messages.slice(record.firstKeptIndex),
  ];
}

/** Ask the model for a summary of `messages` (no tools offered). Never throws. */
export async function summarizeMessages(input: {
  stream: ModelStream;
  model: string;
  fallbacks?: readonly string[];
  messages: readonly AgentMessage[];
  instructions?: string;
  signal?: AbortSignal;
  maxTokens?: number;
}): Promise<{
  summary: string;
  usage: AgentRunResult['usage'];
  cost: AgentRunResult['cost'];
  model?: string;
  error?: ModelError;
}> {
  const focus = input.instructions ? `\nAlso: ${input.instructions}` : '';
  const prompt = `<conversation>\n${serializeForSummary(input.messages)}\n</conversation>\n\nSummarize the conversation above for the assistant's future self: the user's goals and preferences, decisions made, facts learned, files and commands involved, and open tasks with their state. Use short sections and bullet points.${focus}`;
  let summary = '';
  let usage = emptyUsage();
  let cost = emptyCost();
  let model: string | undefined;
  let error: ModelError | undefined;
  for await (const ev of input.stream.stream({
    model: input.model,
    ...(input.fallbacks ? { fallbacks: input.fallbacks } : {}),
    system: SUMMARY_SYSTEM,
    messages: [{ role: 'user', content: prompt }],
    ...(input.signal ? { signal: input.signal } : {}),
    ...(input.maxTokens ? { maxTokens: input.maxTokens } : {}),
  })) {
    if (ev.type === 'text-delta') summary += ev.delta;
    else if (ev.type === 'start') model = ev.ref;
    else if (ev.type === 'usage') {
      usage = addUsage(usage, ev.usage);
      cost = addCost(cost, ev.cost);
    } else if (ev.type === 'error') error = ev.error;
  }
  if (!error && summary.trim() === '')
    error = { kind: 'unknown', message: 'the model returned an empty summary', retryable: true };
  return { summary: summary.trim(), usage, cost, ...(model ? { model } : {}), ...(error ? { error } : {}) };
}

export interface CompactSessionInput {
  messages: readonly AgentMessage[];
  stream: ModelStream;
  model: string;
  fallbacks?: readonly string[];
  system?: string;
  keepRecentTokens: number;
  instructions?: string;
  signal?: AbortSignal;
  now?: () => number;
  /** Run a memory-flush turn first (with these tools and ids); `date` names the daily memory file. */
  memoryFlush?: Pick<
    AgentRunInput,
    | 'runId'
    | 'sessionKey'
    | 'agentId'
    | 'tools'
    | 'secrets'
    | 'beforeToolCall'
    | 'afterToolCall'
    | 'idleTimeoutMs'
    | 'runTimeoutMs'
    | 'maxToolRounds'
  > & { date: string };
}

export interface CompactSessionResult {
  /** Append these to the transcript first: the flush prompt and the flush turn's messages. */
  flushMessages: AgentMessage[];
  flush?: AgentRunResult;
  /** Append this after them; absent when nothing was compacted. */
  record?: CompactionRecord;
  /** The context from now on (applyCompaction of every message, flush turn included). */
  messages: AgentMessage[];
  error?: { kind: string; message: string };
}

/**
 * Compact a conversation: plan the cut, run the memory-flush turn (when asked) so the agent can save
 * notes with its tools, then summarize the older part and produce the record. On a failure the
 * conversation is returned uncompacted with `error`.
 */
export async function compactSession(input: CompactSessionInput): Promise<CompactSessionResult> {
  const now = input.now ?? Date.now;
  const plan = planCompaction(input.messages, input.keepRecentTokens);
  if (!plan) return { flushMessages: [], messages: [...input.messages] };
  const flushMessages: AgentMessage[] = [];
  let flush: AgentRunResult | undefined;
  if (input.memoryFlush) {
    const { date, ...ids } = input.memoryFlush;
    const prompt = userMessage(memoryFlushPrompt(date), now());
    const run = runAgent({
      ...ids,
      messages: [...input.messages, prompt],
      stream: input.stream,
      model: input.model,
      ...(input.fallbacks ? { fallbacks: input.fallbacks } : {}),
      ...(input.system ? { system: input.system } : {}),
      ...(input.signal ? { signal: input.signal } : {}),
      now,
    });
    flush = await run.result;
    flushMessages.push(prompt, ...flush.newMessages);
  }
  const all = [...input.messages, ...flushMessages];
  const base = { flushMessages, ...(flush ? { flush } : {}) };
  if (flush && (flush.stopReason === 'aborted' || flush.stopReason === 'timeout')) {
    return { ...base, messages: all, error: { kind: 'aborted', message: 'the memory flush was stopped' } };
  }
  const summary = await summarizeMessages({
    stream: input.stream,
    model: input.model,
    ...(input.fallbacks ? { fallbacks: input.fallbacks } : {}),
    messages: plan.older,
    ...(input.instructions ? { instructions: input.instructions } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
  });
  if (summary.error)
    return { ...base, messages: all, error: { kind: summary.error.kind, message: summary.error.message } };
  const draft: CompactionRecord = {
    type: 'compaction',
    version: 1,
    timestamp: now(),
    summary: summary.summary,
    firstKeptIndex: plan.firstKeptIndex,
    tokensBefore: estimateContextTokens(all, input.system),
    tokensAfter: 0,
    ...(summary.model ? { model: summary.model } : {}),
    usage: summary.usage,
    cost: summary.cost,
  };
  const messages = applyCompaction(all, draft);
  const record = { ...draft, tokensAfter: estimateContextTokens(messages, input.system) };
  return { ...base, record, messages };
}
