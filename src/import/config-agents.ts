import type { ModelRefUse } from './config-models.js';
import type { Reporter } from './report.js';
import { type Json, obj, str } from './source.js';

const AGENT_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const THINKING = new Set(['off', 'minimal', 'low', 'medium', 'high']);
const TOOL_PROFILES = new Set(['minimal', 'coding', 'messaging', 'full']);
const DURATION = /^[0-9]+(ms|s|m|h|d)$/;
/** Agent fields Carapace reads; everything else of an entry is reported as not carried over. */
const AGENT_FIELDS = new Set(['id', 'name', 'default', 'workspace', 'model', 'thinkingDefault', 'tools']);

/** An OpenClaw agent id as a Carapace one (lowercase letters, digits, - and _), or undefined. */
export function agentIdOf(id: unknown): string | undefined {
  const s = str(id)
    ?.trim()
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 64);
  return s && AGENT_ID.test(s) ? s : undefined;
}

/** Resolves model aliases (`agents.defaults.models.<ref>.alias`) and collects every ref used. */
export class ModelRefs {
  readonly uses: ModelRefUse[] = [];
  readonly #aliases = new Map<string, string>();

  constructor(
    defaults: Json | undefined,
    private readonly report: Reporter,
  ) {
    for (const [ref, v] of Object.entries(obj(defaults?.models) ?? {})) {
      const alias = str(obj(v)?.alias);
      if (alias) this.#aliases.set(alias, ref);
    }
  }

  /** A ref as Carapace needs it (`provider/model`), or undefined (reported) when it cannot be. */
  resolve(value: unknown, where: string): string | undefined {
    const raw = str(value);
    if (!raw) return undefined;
    const ref = raw.includes('/') ? raw : this.#aliases.get(raw);
    if (!ref) {
      this.report.skipped('config', `${where} '${raw}'`, 'not a provider/model reference nor a known alias');
      return undefined;
    }
    if (ref !== raw) this.report.changed('config', where, `alias '${raw}' → '${ref}'`);
    this.uses.push({ ref, where });
    return ref;
  }

  /** `model: 'p/m'` or `model: {primary, fallbacks}` as Carapace's `model` and `fallbacks`. */
  modelFields(value: unknown, where: string): Json {
    const out: Json = {};
    const o = obj(value);
    const primary = this.resolve(o ? o.primary : value, `${where}.model`);
    if (primary) out.model = primary;
    if (o && Array.isArray(o.fallbacks)) {
      const fallbacks = o.fallbacks.flatMap(
        (f, i) => this.resolve(f, `${where}.model.fallbacks[${i}]`) ?? [],
      );
      if (fallbacks.length > 0) out.fallbacks = fallbacks;
    }
    return out;
  }
}

function toolsOf(v: unknown, where: string, report: Reporter): Json | undefined {
  const t = obj(v);
  if (!t) return undefined;
  const out: Json = {};
  if (typeof t.profile === 'string' && TOOL_PROFILES.has(t.profile)) out.profile = t.profile;
  for (const k of ['allow', 'deny'] as const) {
    if (Array.isArray(t[k])) out[k] = t[k].filter((x): x is string => typeof x === 'string');
  }
  if (Object.keys(out).length === 0) return undefined;
  report.changed(
    'config',
    `${where}.tools`,
    "tool names are OpenClaw's: check them with carapace tools list",
  );
  return out;
}

function thinkingOf(v: unknown): string | undefined {
  if (v === 'xhigh') return 'high';
  return typeof v === 'string' && THINKING.has(v) ? v : undefined;
}

/**
 * `agents` of openclaw.json: defaults (model, fallbacks, thinking, limits) and the list. `workspaces`
 * gives the `workspace` to write per agent id (only for folders kept in place) and for the defaults.
 */
export function mapAgents(
  agents: Json | undefined,
  refs: ModelRefs,
  workspaces: { defaults?: string; byAgent: Map<string, string> },
  report: Reporter,
): { defaults: Json; list: Json[] } {
  const d = obj(agents?.defaults) ?? {};
  const defaults: Json = { ...refs.modelFields(d.model, 'agents.defaults') };
  if (workspaces.defaults) defaults.workspace = workspaces.defaults;
  const thinking = thinkingOf(d.thinkingDefault);
  if (thinking) defaults.thinking = thinking;
  for (const k of ['maxConcurrent', 'timeoutSeconds'] as const)
    if (Number.isInteger(d[k]) && (d[k] as number) >= 1) defaults[k] = d[k];
  const tools = toolsOf(d.tools, 'agents.defaults', report);
  if (tools) defaults.tools = tools;
  if (Object.keys(defaults).length > 0)
    report.imported('config', 'agents.defaults', Object.keys(defaults).join(', '));

  const list: Json[] = [];
  for (const [i, value] of (Array.isArray(agents?.list) ? agents.list : []).entries()) {
    const a = obj(value);
    const where = `agents.list[${i}]`;
    const id = agentIdOf(a?.id);
    if (!a || !id) {
      report.skipped('config', where, `agent id ${JSON.stringify(a?.id)} cannot be made a Carapace id`);
      continue;
    }
    const entry: Json = { id };
    if (str(a.name)) entry.name = a.name;
    if (a.default === true) entry.default = true;
    const ws = workspaces.byAgent.get(id);
    if (ws) entry.workspace = ws;
    Object.assign(entry, refs.modelFields(a.model, where));
    const t = thinkingOf(a.thinkingDefault);
    if (t) entry.thinking = t;
    const at = toolsOf(a.tools, where, report);
    if (at) entry.tools = at;
    const dropped = Object.keys(a).filter((k) => !AGENT_FIELDS.has(k));
    if (id !== a.id) report.changed('config', `agent '${String(a.id)}'`, `id → '${id}'`);
    if (dropped.length > 0)
      report.changed('config', `agent '${id}'`, `not carried over: ${dropped.join(', ')}`);
    else report.imported('config', `agent '${id}'`);
    list.push(entry);
  }
  return { defaults, list };
}

/** `bindings`: peer kind `direct` becomes `dm`; a binding with match keys Carapace lacks is skipped. */
export function mapBindings(bindings: unknown, agentIds: ReadonlySet<string>, report: Reporter): Json[] {
  const out: Json[] = [];
  for (const [i, value] of (Array.isArray(bindings) ? bindings : []).entries()) {
    const b = obj(value);
    const where = `bindings[${i}]`;
    const agentId = agentIdOf(b?.agentId);
    const m = obj(b?.match);
    if (!b || !agentId || !m) {
      report.skipped('config', where, 'needs agentId and match');
      continue;
    }
    if (!agentIds.has(agentId)) {
      report.skipped('config', where, `agent '${agentId}' is not among the imported agents`);
      continue;
    }
    const unknown = Object.keys(m).filter(
      (k) => !['channel', 'accountId', 'peer', 'guildId', 'teamId', 'roles'].includes(k),
    );
    if (unknown.length > 0) {
      report.skipped(
        'config',
        where,
        `match on ${unknown.join(', ')} has no Carapace equivalent (it would match more)`,
      );
      continue;
    }
    const match: Json = {};
    for (const k of ['channel', 'accountId', 'guildId', 'teamId'] as const) if (str(m[k])) match[k] = m[k];
    if (Array.isArray(m.roles) && m.roles.length > 0) match.roles = m.roles.map(String);
    const peer = obj(m.peer);
    if (peer) {
      const kind = peer.kind === 'direct' ? 'dm' : peer.kind;
      if (!['dm', 'group', 'channel'].includes(String(kind)) || !str(String(peer.id ?? ''))) {
        report.skipped('config', where, `peer kind '${String(peer.kind)}' is not dm, group or channel`);
        continue;
      }
      match.peer = { kind, id: String(peer.id) };
      if (kind !== peer.kind) report.changed('config', where, "peer kind 'direct' → 'dm'");
    }
    out.push({ agentId, match });
    if (peer?.kind !== 'direct') report.imported('config', where, `→ agent '${agentId}'`);
  }
  return out;
}

/** `session`, `messages.queue`, the heartbeat defaults and `cron` switches. */
export function mapSettings(oc: Json, report: Reporter): Json {
  const out: Json = {};
  const s = obj(oc.session);
  if (s) {
    const session: Json = {};
    if (['main', 'per-peer', 'per-channel-peer', 'per-account-channel-peer'].includes(String(s.dmScope)))
      session.dmScope = s.dmScope;
    const r = obj(s.reset);
    if (r) {
      const mode = r.mode === 'never' || r.mode === 'off' ? 'off' : r.mode;
      const reset: Json = {};
      if (['daily', 'idle', 'off'].includes(String(mode))) reset.mode = mode;
      if (Number.isInteger(r.atHour) && (r.atHour as number) >= 0 && (r.atHour as number) <= 23)
        reset.atHour = r.atHour;
      if (Number.isInteger(r.idleMinutes) && (r.idleMinutes as number) >= 1)
        reset.idleMinutes = r.idleMinutes;
      if (Object.keys(reset).length > 0) session.reset = reset;
    }
    if (Object.keys(session).length > 0) {
      out.session = session;
      report.imported('config', 'session', Object.keys(session).join(', '));
    }
  }
  const q = obj(obj(oc.messages)?.queue);
  if (q) {
    const queue: Json = {};
    const mode = q.mode === 'steer-backlog' ? 'steer' : q.mode === 'queue' ? 'followup' : q.mode;
    if (['followup', 'collect', 'steer', 'interrupt'].includes(String(mode))) queue.mode = mode;
    if (mode !== q.mode && queue.mode)
      report.changed('config', 'messages.queue.mode', `'${String(q.mode)}' → '${String(mode)}'`);
    if (Number.isInteger(q.debounceMs) && (q.debounceMs as number) >= 0) queue.debounceMs = q.debounceMs;
    if (Number.isInteger(q.cap) && (q.cap as number) >= 1) queue.cap = q.cap;
    if (['old', 'new', 'summarize'].includes(String(q.drop))) queue.drop = q.drop;
    if (Object.keys(queue).length > 0) {
      out.messages = { queue };
      report.imported('config', 'messages.queue', Object.keys(queue).join(', '));
    }
  }
  const hb = obj(obj(obj(oc.agents)?.defaults)?.heartbeat);
  if (hb) {
    const heartbeat: Json = {};
    if (typeof hb.every === 'string' && DURATION.test(hb.every)) heartbeat.every = hb.every;
    if (str(hb.prompt)) heartbeat.prompt = hb.prompt;
    if (hb.target === 'last' || hb.target === 'none') heartbeat.target = hb.target;
    if (str(hb.model) && String(hb.model).includes('/')) heartbeat.model = hb.model;
    if (Object.keys(heartbeat).length > 0) {
      out.heartbeat = heartbeat;
      report.imported('config', 'agents.defaults.heartbeat → heartbeat', Object.keys(heartbeat).join(', '));
    }
  }
  const c = obj(oc.cron);
  if (c) {
    const cron: Json = {};
    if (typeof c.enabled === 'boolean') cron.enabled = c.enabled;
    if (Number.isInteger(c.maxConcurrentRuns) && (c.maxConcurrentRuns as number) >= 1)
      cron.maxConcurrentRuns = Math.min(64, c.maxConcurrentRuns as number);
    if (Object.keys(cron).length > 0) {
      out.cron = cron;
      report.imported('config', 'cron', Object.keys(cron).join(', '));
    }
  }
  return out;
}

/** Top-level keys of openclaw.json the importer reads; the rest are reported as not carried over. */
export const HANDLED_TOP_LEVEL = new Set([
  'agents',
  'bindings',
  'models',
  'channels',
  'session',
  'messages',
  'cron',
]);
