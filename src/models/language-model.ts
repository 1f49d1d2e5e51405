import type { LanguageModel } from 'ai';
import type { ResolvedModel } from './resolve.js';

/** The AI SDK's provider-level model (specification v3): we call its `doStream` directly. */
export type ProviderLanguageModel = Extract<LanguageModel, { specificationVersion: 'v3' }>;
/** Options of one `doStream` call. */
export type ProviderCallOptions = Parameters<ProviderLanguageModel['doStream']>[0];
/** The provider-level prompt. */
export type ProviderPrompt = ProviderCallOptions['prompt'];
/** One part of a provider-level stream. */
export type ProviderStreamPart =
  Awaited<ReturnType<ProviderLanguageModel['doStream']>>['stream'] extends ReadableStream<infer P>
    ? P
    : never;

/** The fetch port (`createHttpFetch` by default, see runtime.ts; tests and proxies may wrap it). */
export type FetchPort = typeof globalThis.fetch;

/**
 * The AI SDK LanguageModel for a resolved model and one API key. The key is always passed explicitly
 * (`''` when keyless) so the SDK never falls back to reading OPENAI_API_KEY / ANTHROPIC_API_KEY itself.
 * The provider package is loaded with the first model of its API (the AI SDK and zod are ~20 MB of heap
 * a gateway without a model, or one-shot commands, never need).
 */
export async function createLanguageModel(
  resolved: ResolvedModel,
  apiKey: string | undefined,
  fetch: FetchPort,
): Promise<ProviderLanguageModel> {
  const { provider, model, providerId } = resolved;
  const common = {
    apiKey: apiKey ?? '',
    fetch,
    ...(provider.headers ? { headers: { ...provider.headers } } : {}),
    ...(provider.baseUrl ? { baseURL: provider.baseUrl } : {}),
  };
  switch (provider.api) {
    case 'openai-chat':
      return (await import('@ai-sdk/openai')).createOpenAI(common).chat(model.id);
    case 'openai-responses':
      return (await import('@ai-sdk/openai')).createOpenAI(common).responses(model.id);
    case 'anthropic':
      return (await import('@ai-sdk/anthropic')).createAnthropic(common).messages(model.id);
    case 'openai-compatible':
      return (await import('@ai-sdk/openai-compatible'))
        .createOpenAICompatible({
          ...common,
          baseURL: provider.baseUrl ?? '',
          name: providerId,
          includeUsage: true,
          ...(apiKey ? {} : { apiKey: undefined }),
        })
        .chatModel(model.id);
  }
}
