import { METHOD_SPECS, type SessionRow } from '../../protocol/index.js';
import type { ContentPart, MessageEntry, SessionEntry } from '../../sessions/index.js';
import { CarapaceError, errnoCode, isCarapaceError } from '../../shared/index.js';
import type { MethodRegistry } from '../registry.js';
import { type GatewaySessions, sessionKind } from '../sessions.js';

export interface SessionMethodDeps {
  sessions: GatewaySessions;
  /** Abort the running turn of a key (and its queue); undefined until the run path is wired. */
  abort?: (
    key: string,
    opts: { clearQueue: boolean; runId?: string },
  ) => { runIds: string[]; cleared: number };
}

function row(e: SessionEntry): SessionRow {
  const r: SessionRow = {
    key: e.sessionKey,
    agentId: e.agentId,
    sessionId: e.sessionId,
    kind: sessionKind(e.sessionKey),
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
    messageCount: e.messageCount,
    inputTokens: e.tokens.input,
    outputTokens: e.tokens.output,
    totalTokens: e.tokens.total,
  };
  if (e.label) r.label = e.label;
  if (e.lastChannel) r.lastChannel = e.lastChannel;
  if (e.model) r.model = e.model;
  if (e.origin) r.origin = e.origin;
  return r;
}

/** The text of a transcript message (text parts joined; other parts named). */
export function messageText(content: MessageEntry['content']): string {
  if (typeof content === 'string') return content;
  return content
    .map((p: ContentPart) => (p.type === 'text' && typeof p.text === 'string' ? p.text : `[${p.type}]`))
    .join('');
}

function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  const n = Number(cursor);
  if (!Number.isInteger(n) || n < 0) {
    throw new CarapaceError(
      'INVALID_PARAMS',
      `invalid sessions.list params: cursor '${cursor}' is not one this gateway gave out`,
    );
  }
  return n;
}

/** `sessions.*` and `chat.history` / `chat.inject`: the session store over the wire. */
export function registerSessionMethods(registry: MethodRegistry, deps: SessionMethodDeps): void {
  const { sessions } = deps;

  registry.register('sessions.list', {
    spec: METHOD_SPECS['sessions.list'],
    handler: async (p: {
      agentId?: string;
      limit?: number;
      cursor?: string;
      activeMinutes?: number;
      search?: string;
    }) => {
      let list = await sessions.entries(p.agentId);
      if (p.activeMinutes !== undefined) {
        const since = Date.now() - p.activeMinutes * 60_000;
        list = list.filter((e) => e.updatedAt >= since);
      }
      if (p.search) {
        const q = p.search.toLowerCase();
        list = list.filter(
          (e) => e.sessionKey.toLowerCase().includes(q) || e.label?.toLowerCase().includes(q),
        );
      }
      const start = decodeCursor(p.cursor);
      const limit = p.limit ?? 100;
      const page = list.slice(start, start + limit).map(row);
      const result: {
        ts: number;
        count: number;
        total: number;
        sessions: SessionRow[];
        nextCursor?: string;
      } = {
        ts: Date.now(),
        count: page.length,
        total: list.length,
        sessions: page,
      };
      if (start + limit < list.length) result.nextCursor = String(start + limit);
      return result;
    },
  });

  registry.register('sessions.preview', {
    spec: METHOD_SPECS['sessions.preview'],
    handler: async (p: { keys: string[]; limit?: number; maxChars?: number }) => {
      const previews = await Promise.all(
        p.keys.map(async (raw) => {
          try {
            const { key, agentId } = sessions.resolveKey(raw);
            const store = sessions.store(agentId);
            if (!(await store.get(key))) return { key, status: 'missing' as const, items: [] };
            const page = await store.readHistory(key, { limit: p.limit ?? 5 });
            const items = page.messages
              .filter((m) => m.role === 'user' || m.role === 'assistant')
              .map((m) => ({
                role: m.role,
                text: messageText(m.content).slice(0, p.maxChars ?? 500),
                ts: m.ts,
              }));
            return { key, status: 'ok' as const, items };
          } catch (err) {
            if (!isCarapaceError(err) && errnoCode(err) === undefined) throw err;
            return { key: raw, status: 'error' as const, items: [], error: (err as Error).message };
          }
        }),
      );
      return { ts: Date.now(), previews };
    },
  });

  registry.register('sessions.reset', {
    spec: METHOD_SPECS['sessions.reset'],
    handler: async (p: { key: string; reason?: 'new' | 'reset' }) => {
      const { key, agentId } = sessions.resolveKey(p.key);
      const store = sessions.store(agentId);
      const before = await store.get(key);
      const entry = before
        ? await store.resetSession(key, p.reason ?? 'reset')
        : (await store.ensureSession(key)).entry;
      const out: { ok: true; key: string; sessionId: string; previousSessionId?: string } = {
        ok: true,
        key,
        sessionId: entry.sessionId,
      };
      if (before) out.previousSessionId = before.sessionId;
      return out;
    },
  });

  registry.register('sessions.delete', {
    spec: METHOD_SPECS['sessions.delete'],
    handler: async (p: { key: string }) => {
      const { key, agentId } = sessions.resolveKey(p.key);
      deps.abort?.(key, { clearQueue: true });
      const res = await sessions.store(agentId).deleteSession(key);
      return { ok: true as const, key, ...res };
    },
  });

  registry.register('sessions.abort', {
    spec: METHOD_SPECS['sessions.abort'],
    handler: (p: { key: string; runId?: string; clearQueue?: boolean }) => {
      const { key } = sessions.resolveKey(p.key);
      const opts = { clearQueue: p.clearQueue ?? false, ...(p.runId ? { runId: p.runId } : {}) };
      const res = deps.abort?.(key, opts) ?? { runIds: [], cleared: 0 };
      return { ok: true as const, aborted: res.runIds.length > 0, ...res };
    },
  });

  registry.register('chat.history', {
    spec: METHOD_SPECS['chat.history'],
    handler: async (p: { sessionKey: string; limit?: number; cursor?: number | string }) => {
      const { key, agentId } = sessions.resolveKey(p.sessionKey);
      const store = sessions.store(agentId);
      if (!(await store.get(key))) return { sessionKey: key, messages: [], hasMore: false };
      const cursor = p.cursor === undefined ? undefined : Number(p.cursor);
      if (cursor !== undefined && !(Number.isInteger(cursor) && cursor >= 0)) {
        throw new CarapaceError(
          'INVALID_PARAMS',
          `invalid chat.history params: cursor '${p.cursor}' is not a byte offset`,
        );
      }
      const page = await store.readHistory(key, {
        limit: p.limit ?? 50,
        ...(cursor === undefined ? {} : { cursor }),
      });
      return page;
    },
  });

  registry.register('chat.inject', {
    spec: METHOD_SPECS['chat.inject'],
    handler: async (p: {
      sessionKey: string;
      message: string;
      role?: 'assistant' | 'system' | 'user';
      label?: string;
    }) => {
      const { key, agentId } = sessions.resolveKey(p.sessionKey);
      const store = sessions.store(agentId);
      const { entry } = await store.ensureSession(key, p.label ? { label: p.label } : {});
      const record = await store.appendMessage(
        key,
        { role: p.role ?? 'assistant', content: p.message },
        { durable: true },
      );
      return { ok: true as const, sessionKey: key, sessionId: entry.sessionId, messageId: record.id };
    },
  });
}
