import type { Reporter } from './report.js';
import { convertSecret, type SecretContext } from './secrets.js';
import { type Json, obj, str } from './source.js';

/** Used when OpenClaw's entry names no context window or output limit (it takes them from its catalog). */
export const DEFAULT_CONTEXT_WINDOW = 128_000;
export const DEFAULT_MAX_TOKENS = 8192;

/** Providers OpenClaw knows without configuration, with the key Carapace reads for them. */
const BUILTIN: Record<string, { api: string; env: string }> = {
  openai: { api: 'openai-responses', env: 'OPENAI_API_KEY' },
  anthropic: { api: 'anthropic', env: 'ANTHROPIC_API_KEY' },
};

/** A model reference found in the OpenClaw config, and where. */
export interface ModelRefUse {
  ref: string;
  where: string;
}

const isPositiveInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1;

/** OpenClaw's `api` (+ baseUrl) as Carapace's `api`, or undefined when Carapace has no such wire format. */
function apiOf(api: unknown, baseUrl: string | undefined, providerId: string): string | undefined {
  const official = !baseUrl || /^https:\/\/api\.openai\.com(\/|$)/.test(baseUrl);
  switch (api) {
    case 'openai-completions':
    case 'openai-chat':
      return official ? 'openai-chat' : 'openai-compatible';
    case 'openai-responses':
      return 'openai-responses';
    case 'anthropic-messages':
    case 'anthropic':
      return 'anthropic';
    case 'openai-compatible':
      return 'openai-compatible';
    case undefined:
      return BUILTIN[providerId]?.api ?? (baseUrl ? 'openai-compatible' : undefined);
    default:
      return undefined;
  }
}

function costOf(v: unknown): Json | undefined {
  const c = obj(v);
  if (!c || typeof c.input !== 'number' || typeof c.output !== 'number') return undefined;
  const out: Json = { input: c.input, output: c.output };
  if (typeof c.cacheRead === 'number') out.cacheRead = c.cacheRead;
  if (typeof c.cacheWrite === 'number') out.cacheWrite = c.cacheWrite;
  return out;
}

/** One `models[]` entry; notes what had to be filled in. */
function modelEntry(m: Json, provider: Json, where: string, report: Reporter): Json | undefined {
  const id = str(m.id);
  if (!id) {
    report.skipped('config', where, 'a model without an id');
    return undefined;
  }
  const filled: string[] = [];
  const window = isPositiveInt(m.contextWindow) ? m.contextWindow : provider.contextWindow;
  const max = isPositiveInt(m.maxTokens) ? m.maxTokens : provider.maxTokens;
  if (!isPositiveInt(window)) filled.push(`contextWindow ${DEFAULT_CONTEXT_WINDOW}`);
  if (!isPositiveInt(max)) filled.push(`maxTokens ${DEFAULT_MAX_TOKENS}`);
  const out: Json = {
    id,
    contextWindow: isPositiveInt(window) ? window : DEFAULT_CONTEXT_WINDOW,
    maxTokens: isPositiveInt(max) ? max : DEFAULT_MAX_TOKENS,
  };
  if (str(m.name)) out.name = m.name;
  const cost = costOf(m.cost);
  if (cost) out.cost = cost;
  if (filled.length > 0)
    report.changed('config', `${where} (${id})`, `not given, so set: ${filled.join(', ')} (check them)`);
  return out;
}

/**
 * `models.providers` of openclaw.json as Carapace providers. Keys become secret refs; wire formats Carapace
 * does not speak (Gemini, Bedrock …) are skipped with the reason.
 */
export function mapProviders(models: Json | undefined, ctx: SecretContext): Record<string, Json> {
  const out: Record<string, Json> = {};
  const report = ctx.report;
  for (const [id, value] of Object.entries(obj(models?.providers) ?? {})) {
    const where = `models.providers.${id}`;
    const p = obj(value);
    if (!p) {
      report.skipped('config', where, 'not an object');
      continue;
    }
    const baseUrl = str(p.baseUrl);
    const api = apiOf(p.api, baseUrl, id);
    if (!api) {
      report.skipped(
        'config',
        where,
        `api '${String(p.api)}' is not one Carapace speaks (openai-chat, openai-responses, anthropic, openai-compatible)`,
      );
      continue;
    }
    const provider: Json = { api };
    if (baseUrl) provider.baseUrl = baseUrl;
    if (p.apiKey !== undefined) {
      const key = convertSecret(p.apiKey, `${where}.apiKey`, ctx);
      if (key) provider.apiKey = key;
    } else if (BUILTIN[id]) provider.apiKey = { source: 'env', id: BUILTIN[id]!.env };
    const headers = obj(p.headers);
    if (headers) {
      const strings = Object.entries(headers).filter(([, v]) => typeof v === 'string');
      if (strings.length > 0) provider.headers = Object.fromEntries(strings);
    }
    const list = Array.isArray(p.models) ? p.models : [];
    provider.models = list.flatMap((m, i) => {
      const entry = obj(m) && modelEntry(obj(m)!, p, `${where}.models[${i}]`, report);
      return entry ? [entry] : [];
    });
    const ignored = ['authHeader', 'auth', 'compat'].filter((k) => p[k] !== undefined);
    const apiNote = p.api !== undefined && p.api !== api ? `api '${String(p.api)}' → '${api}'` : undefined;
    const notes = [apiNote, ignored.length ? `not carried over: ${ignored.join(', ')}` : undefined].filter(
      (n): n is string => n !== undefined,
    );
    if (notes.length > 0) report.changed('config', where, notes.join('; '));
    else report.imported('config', where);
    out[id] = provider;
  }
  return out;
}

/**
 * Make every model the agents name resolvable: a model missing from its provider is added with default
 * limits; a missing `openai` / `anthropic` provider (built into OpenClaw) is added with its env key.
 * `existing` are the providers carapace.json already has (left alone). A ref to another unknown provider
 * is reported: it is kept, and Carapace says what to add when it is used.
 */
export function ensureModelRefs(
  providers: Record<string, Json>,
  uses: readonly ModelRefUse[],
  existing: Record<string, unknown>,
  report: Reporter,
): void {
  for (const { ref, where } of uses) {
    const slash = ref.indexOf('/');
    if (slash <= 0) continue;
    const pid = ref.slice(0, slash);
    const mid = ref.slice(slash + 1);
    if (existing[pid] !== undefined) continue;
    let provider = providers[pid];
    if (!provider && BUILTIN[pid]) {
      provider = { api: BUILTIN[pid]!.api, apiKey: { source: 'env', id: BUILTIN[pid]!.env }, models: [] };
      providers[pid] = provider;
      report.changed(
        'config',
        `models.providers.${pid}`,
        `added for ${ref} (${where}; built into OpenClaw): API key from the environment variable ${BUILTIN[pid]!.env}`,
      );
    }
    if (!provider) {
      report.skipped(
        'config',
        `${where} '${ref}'`,
        `provider '${pid}' is not in models.providers: the reference is kept; add the provider to carapace.json`,
      );
      continue;
    }
    const models = provider.models as Json[];
    if (models.some((m) => m.id === mid)) continue;
    models.push({ id: mid, contextWindow: DEFAULT_CONTEXT_WINDOW, maxTokens: DEFAULT_MAX_TOKENS });
    report.changed(
      'config',
      `models.providers.${pid}.models '${mid}'`,
      `added for ${where} with contextWindow ${DEFAULT_CONTEXT_WINDOW} and maxTokens ${DEFAULT_MAX_TOKENS}: check them`,
    );
  }
  for (const [id, p] of Object.entries(providers)) {
    if ((p.models as Json[]).length > 0) continue;
    delete providers[id];
    report.skipped('config', `models.providers.${id}`, 'no models listed and none referenced');
  }
}
