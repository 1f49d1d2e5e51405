import { readFile as fsReadFile } from 'node:fs/promises';
import type { ConfigEnv, ModelsConfig, ReadTextFile } from '../config/index.js';
import { type Clock, sleep as defaultSleep, errorMessage, systemClock } from '../shared/index.js';
import { streamAttempt } from './attempt.js';
import { type AuthProfile, CooldownBook, type CooldownReason, loadProviderKeys } from './auth-profiles.js';
import { backoffDelay } from './errors.js';
import { createHttpFetch } from './http-fetch.js';
import { createLanguageModel, type FetchPort, type ProviderCallOptions } from './language-model.js';
import { toProviderPrompt, toProviderTools } from './prompt.js';
import { type ResolvedModel, resolveModel } from './resolve.js';
import { scrubSecrets } from './scrub.js';
import type { ModelError, ModelEvent, ModelStream, ModelStreamRequest } from './types.js';

export interface ModelRuntimeOptions {
  /** `config.models` (retry, cooldown and the providers). */
  models: ModelsConfig;
  /** Where `{ source: 'env' }` secret refs are looked up (the gateway passes the config env). */
  env?: ConfigEnv;
  /** Reads secret-ref files and the auth profiles file (fs by default). */
  readFile?: ReadTextFile;
  /** The agent's `auth-profiles.json` (AUTH_PROFILES_FILE in `agents/<id>/agent/`). */
  authProfilesPath?: string;
  /** The HTTP client the SDK calls; default `createHttpFetch()` (one per runtime). */
  fetch?: FetchPort;
  /** Waits between retries; rejects when the signal aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  clock?: Clock;
  /** 0..1, for backoff jitter. */
  random?: () => number;
}

/** A ModelStream with retries, key failover and model fallbacks, plus what status output needs. */
export interface ModelRuntime extends ModelStream {
  /**
   * Every API key and header value resolved so far, for scrubbing text elsewhere. Never log this. The same
   * array is returned until a new secret is seen.
   */
  knownSecrets(): readonly string[];
  /** Keys resting after a 401/403/429. */
  cooldowns(): { profile: string; until: number; reason: CooldownReason }[];
}

type Next = 'key' | 'model' | 'stop';
type Tried = { done: true } | { done: false; next: Next; error: ModelError };

/**
 * The model runtime of one agent. Each `stream()` call tries the model, then its fallbacks; per model
 * each usable key (auth profile) in order; per key, 429 / 5xx / network failures are retried with
 * exponential backoff honouring `retry-after` (up to `models.retry.maxRetries`). A 401/403 rests the
 * key for `cooldown.authMs`, an exhausted 429 for `cooldown.rateLimitMs` (or the retry-after, if longer).
 * Aborts and context overflows end the stream at once. Never throws; API keys never leave in events.
 */
export function createModelRuntime(options: ModelRuntimeOptions): ModelRuntime {
  const { models } = options;
  const env = options.env ?? {};
  const readFile = options.readFile ?? ((p: string) => fsReadFile(p, 'utf8'));
  const fetchPort = options.fetch ?? createHttpFetch();
  const wait = options.sleep ?? defaultSleep;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const book = new CooldownBook();
  const secrets = new Set<string>();
  /** `knownSecrets()`'s answer: the same array until a new secret is seen (callers compare by identity). */
  let secretsView: readonly string[] = [];
  const remember = (secret: string) => {
    if (secrets.has(secret)) return;
    secrets.add(secret);
    secretsView = [...secrets];
  };
  const scrub = (text: string) => scrubSecrets(text, secrets);

  async function* withRetries(
    req: ModelStreamRequest,
    resolved: ResolvedModel,
    profile: AuthProfile,
    callOptions: ProviderCallOptions,
  ): AsyncGenerator<ModelEvent, Tried> {
    const { retry, cooldown } = models;
    for (let attempt = 0; ; attempt++) {
      if (req.signal?.aborted) return { done: false, next: 'stop', error: aborted(resolved.ref) };
      const model = await createLanguageModel(resolved, profile.apiKey, fetchPort);
      const outcome = yield* streamAttempt({
        model,
        resolved,
        profile,
        attempt: attempt + 1,
        options: callOptions,
        signal: req.signal,
        now: clock.now,
        scrub,
      });
      if (outcome.done) return outcome;
      const error = outcome.error;
      if (error.kind === 'aborted' || error.kind === 'context_overflow')
        return { done: false, next: 'stop', error };
      if (error.kind === 'auth') {
        book.rest(profile.id, clock.now() + cooldown.authMs, 'auth');
        return { done: false, next: 'key', error };
      }
      if (!error.retryable) return { done: false, next: 'model', error };
      const delayMs =
        error.retryAfterMs ?? backoffDelay(attempt, retry.baseDelayMs, retry.maxDelayMs, random);
      if (attempt < retry.maxRetries && delayMs <= retry.maxDelayMs) {
        yield {
          type: 'retry',
          ref: resolved.ref,
          profile: profile.id,
          attempt: attempt + 1,
          delayMs,
          next: 'same',
          error,
        };
        try {
          await wait(delayMs, req.signal);
        } catch {
          return { done: false, next: 'stop', error: aborted(resolved.ref) };
        }
        continue;
      }
      if (error.kind !== 'rate_limit') return { done: false, next: 'model', error };
      const rest = Math.max(cooldown.rateLimitMs, error.retryAfterMs ?? 0);
      book.rest(profile.id, clock.now() + rest, 'rate_limit');
      return { done: false, next: 'key', error };
    }
  }

  async function* failover(req: ModelStreamRequest): AsyncGenerator<ModelEvent> {
    const refs = [...new Set([req.model, ...(req.fallbacks ?? [])])];
    const callBase = {
      prompt: toProviderPrompt(req.system, req.messages),
      ...(req.tools?.length ? { tools: toProviderTools(req.tools) } : {}),
      ...(req.signal ? { abortSignal: req.signal } : {}),
    };
    let last: ModelError | undefined;
    for (const [index, ref] of refs.entries()) {
      const moveOn = (profile: string, error: ModelError): ModelEvent | undefined =>
        index < refs.length - 1
          ? { type: 'retry', ref, profile, attempt: 0, delayMs: 0, next: 'model', error }
          : undefined;
      let resolved: ResolvedModel;
      try {
        resolved = resolveModel(models, ref);
      } catch (err) {
        last = { kind: 'not_configured', message: scrub(errorMessage(err)), retryable: false, ref };
        continue;
      }
      const keys = await loadProviderKeys({
        providerId: resolved.providerId,
        provider: resolved.provider,
        env,
        readFile,
        profilesPath: options.authProfilesPath,
      });
      for (const p of keys.profiles) if (p.apiKey) remember(p.apiKey);
      for (const v of Object.values(resolved.provider.headers ?? {})) remember(v);
      const usable = keys.profiles.filter((p) => !book.resting(p.id, clock.now()));
      if (usable.length === 0) {
        last = noUsableKey(ref, resolved.providerId, keys.profiles.length > 0, keys.problems.map(scrub));
        const ev = moveOn(`${resolved.providerId}:none`, last);
        if (ev) yield ev;
        continue;
      }
      const callOptions: ProviderCallOptions = {
        ...callBase,
        maxOutputTokens: req.maxTokens ?? resolved.model.maxTokens,
        ...thinkingOptions(resolved, req),
      };
      for (const [pi, profile] of usable.entries()) {
        const tried = yield* withRetries(req, resolved, profile, callOptions);
        if (tried.done) return;
        last = tried.error;
        if (tried.next === 'stop') break;
        if (tried.next === 'key' && pi < usable.length - 1) {
          yield { type: 'retry', ref, profile: profile.id, attempt: 0, delayMs: 0, next: 'key', error: last };
          continue;
        }
        const ev = moveOn(profile.id, last);
        if (ev) yield ev;
        break;
      }
      if (last?.kind === 'aborted' || last?.kind === 'context_overflow') break;
    }
    yield {
      type: 'error',
      error: last ?? { kind: 'not_configured', message: 'no model requested', retryable: false },
    };
  }

  return {
    async *stream(req) {
      try {
        yield* failover(req);
      } catch (err) {
        yield {
          type: 'error',
          error: { kind: 'unknown', message: scrub(errorMessage(err)), retryable: false },
        };
      }
    },
    knownSecrets: () => secretsView,
    cooldowns: () => book.list(clock.now()),
  };
}

function aborted(ref: string): ModelError {
  return { kind: 'aborted', message: 'aborted', retryable: false, ref };
}

function noUsableKey(ref: string, providerId: string, resting: boolean, problems: string[]): ModelError {
  if (resting) {
    return {
      kind: 'rate_limit',
      message: `${ref}: every API key of provider '${providerId}' is resting after rate-limit or auth errors`,
      retryable: true,
      ref,
    };
  }
  const why = problems.length ? problems.join('; ') : 'none configured';
  return {
    kind: 'auth',
    message: `${ref}: no usable API key for provider '${providerId}' (${why}); set models.providers.${providerId}.apiKey in carapace.json, e.g. { "source": "env", "id": "${providerId.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_API_KEY" }`,
    retryable: false,
    ref,
  };
}

function thinkingOptions(resolved: ResolvedModel, req: ModelStreamRequest): Partial<ProviderCallOptions> {
  const api = resolved.provider.api;
  if (!req.thinking || req.thinking === 'off') return {};
  if (api !== 'openai-chat' && api !== 'openai-responses') return {};
  return { providerOptions: { openai: { reasoningEffort: req.thinking } } };
}
