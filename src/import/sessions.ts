import { join } from 'node:path';
import { normalizeSessionKey } from '../routing/index.js';
import { type MessageFields, SessionStore } from '../sessions/index.js';
import { errorMessage } from '../shared/index.js';
import type { Reporter } from './report.js';
import { type Json, listDir, obj, readJson, readJsonl, str } from './source.js';

/** One entry of an OpenClaw transcript converted: a message, or a compaction pointing at an old id. */
type Converted =
  | { kind: 'message'; sourceId: string; ts: number; fields: MessageFields }
  | { kind: 'compaction'; ts: number; summary: string; firstKeptSourceId?: string; tokensBefore?: number };

/** A session ready to write, with what was left out of it. */
export interface ConvertedSession {
  key: string;
  entries: Converted[];
  label?: string;
  /** Entries left out: metadata, branches not taken, thinking blocks, images, unknown roles. */
  omitted: Record<string, number>;
}

const textOf = (parts: unknown): string =>
  typeof parts === 'string'
    ? parts
    : Array.isArray(parts)
      ? parts.map((p) => (obj(p)?.type === 'text' ? String(obj(p)?.text ?? '') : '')).join('')
      : '';

function timeOf(e: Json, m: Json | undefined, fallback: number): number {
  if (typeof m?.timestamp === 'number') return m.timestamp;
  const iso = typeof e.timestamp === 'string' ? Date.parse(e.timestamp) : Number.NaN;
  return Number.isFinite(iso) ? iso : fallback;
}

/** The entries on the active branch, root first: from the leaf (the last `leaf` target, else the last entry) up. */
function activeBranch(records: Json[]): Json[] {
  const byId = new Map<string, Json>();
  let leaf: string | undefined;
  for (const r of records) {
    if (r.type === 'leaf') {
      if (typeof r.targetId === 'string') leaf = r.targetId;
      continue;
    }
    if (typeof r.id === 'string' && r.type !== 'session') {
      byId.set(r.id, r);
      leaf = r.id;
    }
  }
  const path: Json[] = [];
  const seen = new Set<string>();
  for (let id = leaf; id && byId.has(id) && !seen.has(id); ) {
    seen.add(id);
    const r = byId.get(id)!;
    path.push(r);
    id = typeof r.parentId === 'string' ? r.parentId : undefined;
  }
  return path.reverse();
}

function contentOf(parts: unknown, omitted: Record<string, number>): MessageFields['content'] {
  if (typeof parts === 'string') return parts;
  const out: { type: string; text: string }[] = [];
  for (const p of Array.isArray(parts) ? parts : []) {
    const part = obj(p);
    if (part?.type === 'text') out.push({ type: 'text', text: String(part.text ?? '') });
    else if (part?.type === 'image') {
      omitted.images = (omitted.images ?? 0) + 1;
      out.push({ type: 'text', text: '[image not imported]' });
    } else if (part?.type === 'thinking') omitted.thinking = (omitted.thinking ?? 0) + 1;
  }
  return out.length === 1 ? out[0]!.text : out;
}

function messageFields(m: Json, omitted: Record<string, number>): MessageFields | undefined {
  if (m.role === 'user' || m.role === 'system')
    return { role: m.role, content: contentOf(m.content, omitted) };
  if (m.role === 'toolResult' || m.role === 'tool') {
    return {
      role: 'tool',
      content: textOf(m.content),
      toolCallId: str(m.toolCallId) ?? 'unknown',
      toolName: str(m.toolName) ?? 'unknown',
      isError: m.isError === true,
    };
  }
  if (m.role !== 'assistant') return undefined;
  const parts = Array.isArray(m.content) ? m.content : [];
  const calls = parts.flatMap((p) => {
    const c = obj(p);
    return c?.type === 'toolCall' && str(c.id) && str(c.name)
      ? [{ id: String(c.id), name: String(c.name), args: c.arguments ?? {} }]
      : [];
  });
  const fields: MessageFields = { role: 'assistant', content: contentOf(m.content, omitted) };
  if (calls.length > 0) fields.toolCalls = calls;
  const u = obj(m.usage);
  if (u && typeof u.input === 'number' && typeof u.output === 'number') {
    const usage: Record<string, number> = { input: u.input, output: u.output };
    if (typeof u.totalTokens === 'number') usage.total = u.totalTokens;
    if (typeof u.cacheRead === 'number') usage.cacheRead = u.cacheRead;
    if (typeof u.cacheWrite === 'number') usage.cacheWrite = u.cacheWrite;
    fields.usage = usage as MessageFields['usage'];
  }
  for (const k of ['stopReason', 'model', 'provider'] as const) if (str(m[k])) fields[k] = String(m[k]);
  if (str(m.errorMessage)) (fields as Json).errorMessage = m.errorMessage;
  return fields;
}

/** An OpenClaw transcript (pi session format, a tree) as the linear list of what Carapace records. */
export function convertTranscript(records: Json[], key: string): ConvertedSession {
  const omitted: Record<string, number> = {};
  const branch = activeBranch(records);
  const onBranch = records.filter(
    (r) => typeof r.id === 'string' && r.type !== 'session' && r.type !== 'leaf',
  );
  if (onBranch.length > branch.length) omitted['entries on other branches'] = onBranch.length - branch.length;
  const entries: Converted[] = [];
  let last = 0;
  for (const e of branch) {
    const m = obj(e.message);
    const ts = Math.max(last, timeOf(e, m, last));
    last = ts;
    if (e.type === 'message' && m) {
      const fields = messageFields(m, omitted);
      if (fields) entries.push({ kind: 'message', sourceId: String(e.id), ts, fields });
      else
        omitted[`messages of role ${String(m.role)}`] =
          (omitted[`messages of role ${String(m.role)}`] ?? 0) + 1;
    } else if (e.type === 'compaction' && str(e.summary)) {
      const c: Converted = { kind: 'compaction', ts, summary: String(e.summary) };
      if (str(e.firstKeptEntryId)) c.firstKeptSourceId = String(e.firstKeptEntryId);
      if (Number.isInteger(e.tokensBefore) && (e.tokensBefore as number) >= 0)
        c.tokensBefore = e.tokensBefore as number;
      entries.push(c);
    } else omitted['metadata entries'] = (omitted['metadata entries'] ?? 0) + 1;
  }
  return { key, entries, omitted };
}

/** OpenClaw session keys as Carapace's (`:direct:` → `:dm:`, `:topic:` → `:thread:`), or undefined. */
export function sessionKeyOf(key: string): string | undefined {
  for (const k of [key, key.replace(/:direct:/g, ':dm:').replace(/:topic:/g, ':thread:')]) {
    try {
      return normalizeSessionKey(k);
    } catch {
      // try the next spelling
    }
  }
  return undefined;
}

/** Write one converted session through the store, with the original times; old ids map to new ones. */
async function writeSession(store: SessionStore, clock: { t: number }, s: ConvertedSession): Promise<number> {
  const ids = new Map<string, string>();
  clock.t = s.entries[0]?.ts ?? clock.t;
  await store.ensureSession(s.key, {
    origin: { source: 'openclaw-import' },
    ...(s.label ? { label: s.label } : {}),
  });
  let messages = 0;
  for (const e of s.entries) {
    clock.t = e.ts;
    if (e.kind === 'message') {
      const written = await store.appendMessage(s.key, e.fields, { durable: false });
      ids.set(e.sourceId, written.id);
      messages++;
    } else {
      const firstKeptId = e.firstKeptSourceId ? ids.get(e.firstKeptSourceId) : undefined;
      await store.appendCompaction(s.key, {
        summary: e.summary,
        ...(firstKeptId ? { firstKeptId } : {}),
        ...(e.tokensBefore !== undefined ? { tokensBefore: e.tokensBefore } : {}),
      });
    }
  }
  return messages;
}

/**
 * `agents/<id>/sessions/` of OpenClaw (sessions.json + `<sessionId>.jsonl`) into Carapace's session store
 * of the same agent: each session key's current transcript, active branch only, with its times. A key
 * Carapace already has is skipped. `sessionsDir(agentId)` is undefined for agents not in the config.
 */
export async function importSessions(
  sourceDir: string,
  sessionsDir: (agentId: string) => string | undefined,
  report: Reporter,
  dryRun: boolean,
): Promise<void> {
  for (const agent of await listDir(join(sourceDir, 'agents'))) {
    if (!agent.dir) continue;
    const dir = join(sourceDir, 'agents', agent.name, 'sessions');
    const index = await readJson(join(dir, 'sessions.json'));
    if (!index) continue;
    const map = obj(obj(index.value)?.sessions) ?? obj(index.value);
    if (index.error !== undefined || !map) {
      report.skipped('session', `agent '${agent.name}' sessions.json`, index.error ?? 'not an object');
      continue;
    }
    const target = sessionsDir(agent.name);
    if (!target) {
      report.skipped(
        'session',
        `agent '${agent.name}'`,
        `${Object.keys(map).length} sessions: the agent is not in the config`,
      );
      continue;
    }
    const clock = { t: 0 };
    const store = dryRun
      ? undefined
      : new SessionStore({
          agentId: agent.name,
          dir: target,
          clock: { now: () => clock.t, monotonic: () => performance.now() },
        });
    try {
      for (const [rawKey, value] of Object.entries(map))
        await importOne(rawKey, obj(value), dir, store, clock, report);
    } finally {
      await store?.close();
    }
  }
}

async function importOne(
  rawKey: string,
  entry: Json | undefined,
  dir: string,
  store: SessionStore | undefined,
  clock: { t: number },
  report: Reporter,
): Promise<void> {
  const key = sessionKeyOf(rawKey);
  const sessionId = str(entry?.sessionId);
  if (!key || !sessionId) {
    report.skipped('session', rawKey, key ? 'no sessionId' : 'not a session key Carapace can parse');
    return;
  }
  const file = str(entry?.sessionFile) ?? join(dir, `${sessionId}.jsonl`);
  const lines = await readJsonl(file);
  if (!lines) {
    report.skipped('session', rawKey, `transcript ${file} is missing`);
    return;
  }
  const converted = convertTranscript(lines.records, key);
  const label = str(entry?.label) ?? str(entry?.displayName);
  if (label) converted.label = label;
  if (lines.bad > 0) converted.omitted['lines that did not parse'] = lines.bad;
  const notes = Object.entries(converted.omitted).map(([what, n]) => `${n} ${what}`);
  const count = converted.entries.filter((e) => e.kind === 'message').length;
  if (store && (await store.get(key))) {
    report.skipped('session', rawKey, 'Carapace already has this session');
    return;
  }
  try {
    if (store) await writeSession(store, clock, converted);
  } catch (err) {
    report.skipped('session', rawKey, `could not be written: ${errorMessage(err)}`);
    return;
  }
  const what = `${count} messages${key !== rawKey ? ` as ${key}` : ''}`;
  if (notes.length > 0 || key !== rawKey)
    report.changed('session', rawKey, [what, ...notes.map((n) => `left out ${n}`)].join('; '));
  else report.imported('session', rawKey, what);
}
