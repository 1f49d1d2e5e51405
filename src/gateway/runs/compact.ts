import { type AgentMessage, type AgentTool, checkCompaction, compactSession } from '../../agent/index.js';
import type { Config } from '../../config/index.js';
import { type ModelRuntime, resolveModel } from '../../models/index.js';
import type { SessionStore } from '../../sessions/index.js';
import { CarapaceError } from '../../shared/index.js';
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
  /**
   * What is left of the turn's deadline: compaction's model calls stop when it runs out, so a model that
   * hangs while summarizing cannot hold the session's lane past the deadline.
   */
  timeoutMs?: number;
  /** The turn's idle timeout, for the memory-flush turn. */
  idleTimeoutMs?: number;
}

export interface CompactOutcome {
  messages: AgentMessage[];
  ids: (string | undefined)[];
  compacted: boolean;
  tokensBefore?: number;
  tokensAfter?: number;
  error?: string;
}

/** `signal`, also aborted after `timeoutMs`; `ranOut()` says why when that happened. */
function withDeadline(signal: AbortSignal, timeoutMs: number | undefined) {
  const ctrl = new AbortController();
  const forward = () => ctrl.abort(signal.reason);
  if (signal.aborted) forward();
  else signal.addEventListener('abort', forward, { once: true });
  let why: string | undefined;
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          why = `compaction stopped: it ran out of the turn's time (${timeoutMs} ms left)`;
          ctrl.abort(new CarapaceError('RUN_TIMEOUT', why));
        }, timeoutMs);
  return {
    signal: ctrl.signal,
    ranOut: () => why,
    dispose: () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', forward);
    },
  };
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
  const { timeoutMs, idleTimeoutMs } = input;
  const deadline = withDeadline(input.signal, timeoutMs);
  const result = await compactSession({
    messages: input.messages,
    stream: input.runtime,
    model: input.model,
    fallbacks: input.fallbacks,
    system: input.system,
    keepRecentTokens: settings.keepRecentTokens,
    ...(input.instructions ? { instructions: input.instructions } : {}),
    signal: deadline.signal,
    ...(settings.memoryFlush
      ? {
          memoryFlush: {
            runId: input.runId,
            sessionKey: input.sessionKey,
            agentId: input.agentId,
            tools: input.tools,
            secrets: input.secrets,
            date: input.date,
            ...(timeoutMs === undefined ? {} : { runTimeoutMs: timeoutMs }),
            ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }),
          },
        }
      : {}),
  }).finally(deadline.dispose);
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
      ...(deadline.ranOut()
        ? { error: deadline.ranOut() }
        : result.error
          ? { error: result.error.message }
          : {}),
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
