import { parseSessionKey } from '../../routing/index.js';
import type { MessageEntry, SessionEntry } from '../../sessions/index.js';
import { CarapaceError } from '../../shared/index.js';
import { wrapUntrusted } from '../../tools/index.js';
import { type BusCore, type Caller, SESSION_NOT_FOUND } from './core.js';
import { A2A_DENIED, agentRefusal, reachableAgents, reachRefusal } from './policy.js';

/** Characters of one message shown by `sessions_history` (the rest is cut with a marker). */
const MAX_MESSAGE_CHARS = 4000;

export interface ListArgs {
  agentId?: string;
  kind?: string;
  limit?: number;
}

export interface SessionRow {
  sessionKey: string;
  agentId: string;
  kind: string;
  label?: string;
  updatedAt: string;
  messageCount: number;
  /** The calling session itself. */
  self?: true;
  /** For a sub-agent this gateway started: who spawned it and how it is doing. */
  subagent?: { parentKey: string; status: string };
}

function kindOf(key: string): string {
  try {
    return parseSessionKey(key).kind;
  } catch {
    return 'unknown';
  }
}

function row(core: BusCore, caller: Caller, e: Readonly<SessionEntry>): SessionRow {
  const child = core.registry.child(e.sessionKey);
  return {
    sessionKey: e.sessionKey,
    agentId: e.agentId,
    kind: kindOf(e.sessionKey),
    ...(e.label ? { label: e.label } : {}),
    updatedAt: new Date(e.updatedAt).toISOString(),
    messageCount: e.messageCount,
    ...(e.sessionKey === caller.sessionKey ? { self: true as const } : {}),
    ...(child ? { subagent: { parentKey: child.parentKey, status: child.status } } : {}),
  };
}

/** The sessions the caller may reach (its own agent's by `visibility`, others' by the allowlist), newest first. */
export async function listSessions(
  core: BusCore,
  caller: Caller,
  args: ListArgs,
): Promise<{ sessions: SessionRow[]; total: number; note?: string }> {
  const config = core.a2a();
  const all = core.deps.sessions.agents().map((a) => a.id);
  let agents = reachableAgents(config, caller.agentId, all);
  if (args.agentId !== undefined) {
    const id = core.deps.sessions.agent(args.agentId).id;
    const refusal = agentRefusal(config, caller.agentId, id);
    if (refusal) throw new CarapaceError(A2A_DENIED, refusal);
    agents = [id];
  }
  const rows: SessionRow[] = [];
  for (const id of agents) {
    for (const e of await core.deps.sessions.store(id).listView()) {
      const related = core.registry.related(caller.sessionKey, e.sessionKey);
      if (reachRefusal(config, caller, { agentId: e.agentId, sessionKey: e.sessionKey }, related)) continue;
      if (args.kind !== undefined && kindOf(e.sessionKey) !== args.kind) continue;
      rows.push(row(core, caller, e));
    }
  }
  rows.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  const hiddenAgents = all.length - reachableAgents(config, caller.agentId, all).length;
  const note =
    hiddenAgents > 0 && args.agentId === undefined
      ? `${hiddenAgents} other agent(s) are not reachable from agent '${caller.agentId}' (agentToAgent.enabled / agentToAgent.allow)`
      : undefined;
  return { sessions: rows.slice(0, args.limit ?? 50), total: rows.length, ...(note ? { note } : {}) };
}

export interface HistoryArgs {
  sessionKey: string;
  limit?: number;
  cursor?: number;
  includeTools?: boolean;
}

function textOf(m: MessageEntry): string {
  const text =
    typeof m.content === 'string'
      ? m.content
      : m.content.map((p) => (typeof p.text === 'string' ? p.text : `[${p.type}]`)).join('');
  return text.length > MAX_MESSAGE_CHARS
    ? `${text.slice(0, MAX_MESSAGE_CHARS)} [… ${text.length - MAX_MESSAGE_CHARS} more characters]`
    : text;
}

function render(m: MessageEntry, includeTools: boolean): string {
  const head = `[${m.role}${m.role === 'tool' && m.toolName ? ` ${m.toolName}` : ''} ${new Date(m.ts).toISOString()}]`;
  const calls =
    includeTools && m.toolCalls?.length ? `\n(calls ${m.toolCalls.map((c) => c.name).join(', ')})` : '';
  return `${head} ${textOf(m)}${calls}`;
}

/**
 * A page of a reachable session's transcript, oldest first, as text. Another session's words are
 * wrapped as untrusted content. `cursor` (from a previous page) reads further back.
 */
export async function sessionHistory(
  core: BusCore,
  caller: Caller,
  args: HistoryArgs,
): Promise<Record<string, unknown>> {
  const target = await core.target(caller, { sessionKey: args.sessionKey });
  core.assertReach(caller, target);
  const store = core.deps.sessions.store(target.agentId);
  if (!(await store.get(target.sessionKey))) {
    throw new CarapaceError(SESSION_NOT_FOUND, `no session ${target.sessionKey}`);
  }
  const page = await store.readHistory(target.sessionKey, {
    limit: args.limit ?? 20,
    ...(args.cursor !== undefined ? { cursor: args.cursor } : {}),
  });
  const includeTools = args.includeTools === true;
  const shown = page.messages.filter((m) => includeTools || (m.role !== 'tool' && textOf(m) !== ''));
  const text = shown.map((m) => render(m, includeTools)).join('\n\n');
  const own = target.sessionKey === caller.sessionKey;
  return {
    sessionKey: target.sessionKey,
    agentId: target.agentId,
    messages: shown.length,
    hasMore: page.hasMore,
    ...(page.hasMore && page.cursor !== undefined ? { cursor: page.cursor } : {}),
    transcript: own || text === '' ? text : wrapUntrusted(text, { source: `session ${target.sessionKey}` }),
  };
}
