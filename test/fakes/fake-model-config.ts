/**
 * Config that points Carapace at a {@link FakeModelServer}: one provider entry, the `models` section
 * around it, or that section plus `agents.defaults.model` (what most gateway tests start from).
 *
 * Defaults: provider id `fake`, api `openai-chat`, apiKey `k`, one model `m` with contextWindow 50,000
 * and maxTokens 100, no cost, no retry settings (the schema's). Override any of them by name.
 */
import type { ModelCostConfig, ModelProvider, ModelsConfig } from '../../src/config/index.js';
import type { FakeApi, FakeModelServer } from './fake-model-server.js';

/** Overrides of one fake provider entry. */
export interface FakeProviderOptions {
  /** Wire format the provider speaks. Default `openai-chat`. */
  api?: FakeApi;
  /** Default `k`. */
  apiKey?: string;
  /** Model ids, each with the window, max tokens and cost below; the first is the default. `['m']`. */
  modelIds?: readonly string[];
  /** Default 50,000. */
  contextWindow?: number;
  /** Default 100. */
  maxTokens?: number;
  /** Left out unless given. */
  cost?: ModelCostConfig;
}

/** Overrides of the `models` section. */
export interface FakeModelsOptions extends FakeProviderOptions {
  /** The provider's id under `models.providers` (refs are `<provider>/<model id>`). Default `fake`. */
  provider?: string;
  /** `models.retry`; left out unless given. */
  retry?: Partial<ModelsConfig['retry']>;
}

/** The fake server where it counts: only its base URL is used. */
export type FakeModelEndpoint = Pick<FakeModelServer, 'baseUrl'>;

/** One `models.providers` entry that talks to `server`. */
export function fakeProvider(server: FakeModelEndpoint, opts: FakeProviderOptions = {}): ModelProvider {
  const {
    api = 'openai-chat',
    apiKey = 'k',
    modelIds = ['m'],
    contextWindow = 50_000,
    maxTokens = 100,
  } = opts;
  return {
    baseUrl: server.baseUrl,
    api,
    apiKey,
    models: modelIds.map((id) => ({
      id,
      contextWindow,
      maxTokens,
      ...(opts.cost ? { cost: opts.cost } : {}),
    })),
  };
}

/** The `models` section with the one fake provider (and `retry` when given). */
export function fakeModels(server: FakeModelEndpoint, opts: FakeModelsOptions = {}) {
  const { provider = 'fake', retry, ...entry } = opts;
  return {
    providers: { [provider]: fakeProvider(server, entry) },
    ...(retry ? { retry } : {}),
  };
}

/** `{ models, agents: { defaults: { model } } }`: the fake provider's first model is the default model. */
export function fakeModelConfig(server: FakeModelEndpoint, opts: FakeModelsOptions = {}) {
  const ref = `${opts.provider ?? 'fake'}/${opts.modelIds?.[0] ?? 'm'}`;
  return { models: fakeModels(server, opts), agents: { defaults: { model: ref } } };
}
