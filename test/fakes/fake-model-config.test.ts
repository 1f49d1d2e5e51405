import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/index.js';
import { type FakeModelsOptions, fakeModelConfig, fakeModels } from './fake-model-config.js';

const server = { baseUrl: 'http://127.0.0.1:1/v1' };

describe('fake model config', () => {
  it('by default: provider fake, openai-chat, key k, model m (50,000 / 100), default model fake/m', () => {
    const r = validateConfig(fakeModelConfig(server));
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.config.models.providers).toEqual({
      fake: {
        baseUrl: server.baseUrl,
        api: 'openai-chat',
        apiKey: 'k',
        models: [{ id: 'm', contextWindow: 50_000, maxTokens: 100 }],
      },
    });
    expect(r.config.models.retry).toEqual({ maxRetries: 2, baseDelayMs: 1000, maxDelayMs: 30_000 });
    expect(r.config.agents.defaults.model).toBe('fake/m');
  });

  it('takes every override, and the default model follows the provider id and first model id', () => {
    const cost = { input: 1, output: 2 };
    const opts: FakeModelsOptions = {
      provider: 'p',
      api: 'anthropic',
      apiKey: 'sk-x',
      modelIds: ['a', 'b'],
      contextWindow: 1000,
      maxTokens: 10,
      cost,
      retry: { maxRetries: 0 },
    };
    const r = validateConfig(fakeModelConfig(server, opts));
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.config.models.providers.p).toEqual({
      baseUrl: server.baseUrl,
      api: 'anthropic',
      apiKey: 'sk-x',
      models: [
        { id: 'a', contextWindow: 1000, maxTokens: 10, cost },
        { id: 'b', contextWindow: 1000, maxTokens: 10, cost },
      ],
    });
    expect(r.config.models.retry.maxRetries).toBe(0);
    expect(r.config.agents.defaults.model).toBe('p/a');
    expect(fakeModels(server, opts)).toEqual(fakeModelConfig(server, opts).models);
  });
});
