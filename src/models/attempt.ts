import type { AuthProfile } from './auth-profiles.js';
import { costOf } from './cost.js';
import { classifyError } from './errors.js';
import type { ProviderCallOptions, ProviderLanguageModel, ProviderStreamPart } from './language-model.js';
import type { ResolvedModel } from './resolve.js';
import type { ModelError, ModelEvent, Usage } from './types.js';

/** How one attempt ended: the stream is complete (finish or error already yielded), or it failed early. */
export type AttemptOutcome = { done: true } | { done: false; error: ModelError };

export interface AttemptInput {
  model: ProviderLanguageModel;
  resolved: ResolvedModel;
  profile: AuthProfile;
  attempt: number;
  options: ProviderCallOptions;
  signal: AbortSignal | undefined;
  now: () => number;
  scrub: (text: string) => string;
}

type FinishPart = Extract<ProviderStreamPart, { type: 'finish' }>;

/** Our usage from the SDK's: `input` is the uncached part. */
export function toUsage(u: FinishPart['usage']): Usage {
  const cacheRead = u.inputTokens.cacheRead ?? 0;
  const cacheWrite = u.inputTokens.cacheWrite ?? 0;
  const input = u.inputTokens.noCache ?? Math.max(0, (u.inputTokens.total ?? 0) - cacheRead - cacheWrite);
  return { input, output: u.outputTokens.total ?? 0, cacheRead, cacheWrite };
}

/**
 * One call to one model with one key. Failures before any content are returned (the caller may retry
 * or fail over); once text or a tool call has been yielded, a failure is yielded as the terminal `error`
 * (a retry would repeat what the listener already saw).
 */
export async function* streamAttempt(input: AttemptInput): AsyncGenerator<ModelEvent, AttemptOutcome> {
  const { resolved, profile, signal } = input;
  const fail = (err: unknown): ModelError => {
    const e = classifyError(err, signal?.aborted ?? false, input.now());
    const where = e.status ? `${resolved.ref} (HTTP ${e.status})` : resolved.ref;
    return {
      ...e,
      message: input.scrub(e.kind === 'aborted' ? 'aborted' : `${where}: ${e.message}`),
      ref: resolved.ref,
    };
  };
  const start: ModelEvent = {
    type: 'start',
    ref: resolved.ref,
    provider: resolved.providerId,
    model: resolved.model.id,
    profile: profile.id,
    attempt: input.attempt,
  };
  let reader: ReadableStreamDefaultReader<ProviderStreamPart> | undefined;
  let content = false;
  let finish: FinishPart | undefined;
  let streamed: { cause: unknown } | undefined;
  try {
    reader = (await input.model.doStream(input.options)).stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (value.type === 'text-delta' || (value.type === 'tool-call' && !value.providerExecuted)) {
        if (value.type === 'text-delta' && value.delta === '') continue;
        if (!content) yield start;
        content = true;
        yield value.type === 'text-delta'
          ? { type: 'text-delta', delta: value.delta }
          : { type: 'tool-call', id: value.toolCallId, name: value.toolName, args: value.input };
      } else if (value.type === 'finish') finish = value;
      else if (value.type === 'error') {
        streamed = { cause: value.error };
        break;
      }
    }
    if (!streamed && !finish)
      streamed = { cause: signal?.aborted ? signal.reason : 'the stream ended early' };
  } catch (err) {
    streamed = { cause: err };
  } finally {
    reader?.cancel().catch(() => {});
  }
  if (streamed || !finish) {
    const error = fail(streamed?.cause);
    if (!content) return { done: false, error };
    yield { type: 'error', error };
    return { done: true };
  }
  if (!content) yield start;
  const usage = toUsage(finish.usage);
  yield { type: 'usage', usage, cost: costOf(usage, resolved.model.cost) };
  yield { type: 'finish', reason: finish.finishReason.unified };
  return { done: true };
}
