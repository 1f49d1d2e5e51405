import { type AgentMessage, type AgentTool, checkCompaction, compactSession } from '../../agent/index.js';
import type { Config } from '../../config/index.js';
import { type ModelRuntime, resolveModel } from '../../models/index.js';
import type { SessionStore } from '../../sessions/index.js';
import { toTranscriptFields } from './convert.js';

export interface CompactInput {
  config: Config;
  store: SessionStore;
  runtime: ModelRuntime;
  sessionKey: string;
  agentId: string;
  runId: string;
  model: string;
  fallbacks: readonly string[];
  system: string;
  messages: AgentMessage[];
  ids: (string | undefined)[];
  /** `/compact` or a context overflow: compact whatever the estimate says. */
  force: boolean;
  instructions?: string;
  tools: readonly AgentTool[];
  secrets: () => readonly string[];
  signal: AbortSignal;
  /** `YYYY-MM-DD` of the daily memory file the flush turn may write. */
  date: string;
}

export interface CompactOutcome {
  messages: AgentMessage[];
  ids: (string | undefined)[];
  compacted: boolean;
  tokensBefore?: number;
  tokensAfter?: number;
  error?: string;
}

/**
 * Compact when the context nears the model's window (or when forced): a memory-flush turn first (the
 * agent may write durable notes with its tools), then a summary of the older turns as a compaction entry,
 * keeping the recent tail. The transcript keeps everything; only the model's context shrinks.
 */
export async function maybeCompact(input: CompactInput): Promise<CompactOutcome> {
  const settings = input.config.agents.defaults.compaction;
  const unchanged = { messages: input.messages, ids: input.ids, compacted: false };
  if (!settings.enabled && !input.force) return unchanged;
  const { model } = resolveModel(input.config.models, input.model);
  if (!input.force) {
    const check = checkCompaction({
      messages: input.messages,
      system: input.system,
      contextWindow: model.contextWindow,
      thresholdRatio: settings.thresholdRatio,
    });
    if (!check.needed) return unchanged;
  }
  const result = await compactSession({
    messages: input.messages,
    stream: input.runtime,
    model: input.model,
    fallbacks: input.fallbacks,
    system: input.system,
    keepRecentTokens: settings.keepRecentTokens,
    ...(input.instructions ? { instructions: input.instructions } : {}),
    signal: input.signal,
    ...(settings.memoryFlush
      ? {
          memoryFlush: {
            runId: input.runId,
            sessionKey: input.sessionKey,
            agentId: input.agentId,
            tools: input.tools,
            secrets: input.secrets,
            date: input.date,
          },
        }
      : {}),
  });
  const ids = [...input.ids];
  for (const m of result.flushMessages) {
    const entry = await input.store.appendMessage(input.sessionKey, toTranscriptFields(m, input.runId));
    ids.push(entry.id);
  }
  if (!result.record) {
    return {
      messages: result.messages,
      ids,
      compacted: false,
      ...(result.error ? { error: result.error.message } : {}),
    };
  }
  const { record } = result;
  const firstKeptId = ids[record.firstKeptIndex];
  await input.store.appendCompaction(input.sessionKey, {
    summary: record.summary,
    ...(firstKeptId ? { firstKeptId } : {}),
    tokensBefore: record.tokensBefore,
  });
  return {
    messages: result.messages,
    ids: [undefined, ...ids.slice(record.firstKeptIndex)],
    compacted: true,
    tokensBefore: record.tokensBefore,
    tokensAfter: record.tokensAfter,
  };
}
