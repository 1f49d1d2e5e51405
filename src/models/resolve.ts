import type { Config, ModelEntry, ModelProvider, ModelsConfig } from '../config/index.js';
import { CarapaceError } from '../shared/index.js';

/** A model ref resolved against `models.providers`. */
export interface ResolvedModel {
  /** `'<provider id>/<model id>'` */
  ref: string;
  providerId: string;
  provider: ModelProvider;
  model: ModelEntry;
}

const EXAMPLE = `  "models": {
    "providers": {
      "openai": {
        "api": "openai-responses",
        "apiKey": { "source": "env", "id": "OPENAI_API_KEY" },
        "models": [{ "id": "gpt-4.1", "contextWindow": 1047576, "maxTokens": 32768, "cost": { "input": 2, "output": 8 } }]
      }
    }
  },
  "agents": { "defaults": { "model": "openai/gpt-4.1" } }`;

/**
 * Split `'<provider>/<model>'` at the first slash (model ids may contain slashes themselves, e.g.
 * `openrouter/meta-llama/llama-3`). Undefined when either side is empty.
 */
export function parseModelRef(ref: string): { providerId: string; modelId: string } | undefined {
  const slash = ref.indexOf('/');
  if (slash <= 0 || slash === ref.length - 1) return undefined;
  return { providerId: ref.slice(0, slash), modelId: ref.slice(slash + 1) };
}

/** Every configured model as a ref, in config order. */
export function listModelRefs(models: ModelsConfig): string[] {
  return Object.entries(models.providers).flatMap(([id, p]) => p.models.map((m) => `${id}/${m.id}`));
}

/**
 * Resolve a model ref. Throws CarapaceError `MODEL_NOT_CONFIGURED` (no provider configured, no model
 * chosen, or a provider missing a required field — the message shows what to add to carapace.json) or
 * `UNKNOWN_MODEL` (the message lists the known refs).
 */
export function resolveModel(models: ModelsConfig, ref: string | undefined): ResolvedModel {
  const known = listModelRefs(models);
  if (known.length === 0) {
    throw new CarapaceError(
      'MODEL_NOT_CONFIGURED',
      `no model is configured${ref ? ` (wanted '${ref}')` : ''}: add a provider and choose a model in carapace.json, e.g.\n${EXAMPLE}`,
      { details: { ref } },
    );
  }
  if (!ref) {
    throw new CarapaceError(
      'MODEL_NOT_CONFIGURED',
      `no model is chosen: set agents.defaults.model (or agents.list[].model) to one of: ${known.join(', ')}`,
      { details: { known } },
    );
  }
  const parsed = parseModelRef(ref);
  const provider = parsed ? models.providers[parsed.providerId] : undefined;
  const model = parsed && provider?.models.find((m) => m.id === parsed.modelId);
  if (!parsed || !provider || !model) {
    throw new CarapaceError(
      'UNKNOWN_MODEL',
      `unknown model '${ref}': known models are ${known.join(', ')} (add it under models.providers in carapace.json)`,
      { details: { ref, known } },
    );
  }
  if (provider.api === 'openai-compatible' && !provider.baseUrl) {
    throw new CarapaceError(
      'MODEL_NOT_CONFIGURED',
      `models.providers.${parsed.providerId}.baseUrl is required for api 'openai-compatible' (e.g. "baseUrl": "http://127.0.0.1:11434/v1")`,
      { details: { ref, provider: parsed.providerId } },
    );
  }
  return { ref, providerId: parsed.providerId, provider, model };
}

/** The model chain of an agent: its `model` and `fallbacks`, else those of `agents.defaults`. */
export function agentModelChain(
  config: Config,
  agentId: string,
): { model: string | undefined; fallbacks: string[] } {
  const entry = config.agents.list.find((a) => a.id === agentId);
  const defaults = config.agents.defaults;
  return {
    model: entry?.model ?? defaults.model,
    fallbacks: [...(entry?.fallbacks ?? defaults.fallbacks ?? [])],
  };
}
