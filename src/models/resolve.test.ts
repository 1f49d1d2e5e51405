import { describe, expect, it } from 'vitest';
import { type Config, validateConfig } from '../config/index.js';
import { isCarapaceError } from '../shared/index.js';
import { agentModelChain, listModelRefs, parseModelRef, resolveModel } from './resolve.js';

function config(doc: Record<string, unknown>): Config {
  const r = validateConfig(doc);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.config;
}

const providers = {
  openai: { api: 'openai-responses', models: [{ id: 'gpt-4.1', contextWindow: 1000, maxTokens: 100 }] },
  router: {
    api: 'openai-compatible',
    baseUrl: 'http://127.0.0.1:1/v1',
    models: [{ id: 'meta/llama-3', contextWindow: 8, maxTokens: 4 }],
  },
  local: { api: 'openai-compatible', models: [{ id: 'qwen', contextWindow: 8, maxTokens: 4 }] },
};

function thrown(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (isCarapaceError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('did not throw');
}

describe('model refs', () => {
  it('splits a ref at the first slash, so model ids may contain slashes', () => {
    expect(parseModelRef('router/meta/llama-3')).toEqual({ providerId: 'router', modelId: 'meta/llama-3' });
    expect(parseModelRef('nomodel')).toBeUndefined();
    expect(parseModelRef('/x')).toBeUndefined();
    expect(parseModelRef('x/')).toBeUndefined();
  });

  it('resolves a configured ref to its provider and model entry', () => {
    const models = config({ models: { providers } }).models;
    const r = resolveModel(models, 'router/meta/llama-3');
    expect(r.providerId).toBe('router');
    expect(r.model.contextWindow).toBe(8);
    expect(listModelRefs(models)).toEqual(['openai/gpt-4.1', 'router/meta/llama-3', 'local/qwen']);
  });

  it('says exactly what to add to carapace.json when nothing is configured', () => {
    const e = thrown(() => resolveModel(config({}).models, 'openai/gpt-4.1'));
    expect(e.code).toBe('MODEL_NOT_CONFIGURED');
    expect(e.message).toContain('"models"');
    expect(e.message).toContain('"providers"');
    expect(e.message).toContain('"agents": { "defaults": { "model": "openai/gpt-4.1" } }');
  });

  it('lists the known refs for an unknown model, and asks for a model when none is chosen', () => {
    const models = config({ models: { providers } }).models;
    const unknown = thrown(() => resolveModel(models, 'openai/gpt-5'));
    expect(unknown.code).toBe('UNKNOWN_MODEL');
    expect(unknown.message).toContain('openai/gpt-4.1, router/meta/llama-3, local/qwen');
    const none = thrown(() => resolveModel(models, undefined));
    expect(none.code).toBe('MODEL_NOT_CONFIGURED');
    expect(none.message).toContain('agents.defaults.model');
  });

  it('requires a baseUrl for openai-compatible providers', () => {
    const e = thrown(() => resolveModel(config({ models: { providers } }).models, 'local/qwen'));
    expect(e.code).toBe('MODEL_NOT_CONFIGURED');
    expect(e.message).toContain('models.providers.local.baseUrl');
  });

  it("takes an agent's model and fallbacks, else the defaults", () => {
    const c = config({
      agents: {
        defaults: { model: 'openai/gpt-4.1', fallbacks: ['router/meta/llama-3'] },
        list: [{ id: 'main' }, { id: 'work', model: 'local/qwen', fallbacks: [] }],
      },
    });
    expect(agentModelChain(c, 'main')).toEqual({
      model: 'openai/gpt-4.1',
      fallbacks: ['router/meta/llama-3'],
    });
    expect(agentModelChain(c, 'work')).toEqual({ model: 'local/qwen', fallbacks: [] });
  });
});
