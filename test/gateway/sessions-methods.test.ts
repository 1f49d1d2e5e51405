import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileValidator, SessionsListResultSchema } from '../../src/protocol/index.js';
import { type Harness, startGateway } from '../helpers/gateway-harness.js';
import { connectedClient, type TestClient } from '../helpers/ws-client.js';

let h: Harness;
let c: TestClient;
beforeAll(async () => {
  h = await startGateway({ agents: { list: [{ id: 'main', default: true }, { id: 'ops' }] } });
  c = await connectedClient(h.url, h.token);
});
afterAll(async () => {
  c.close();
  await h.cleanup();
});

async function inject(sessionKey: string, message: string, role = 'assistant') {
  const res = await c.request('chat.inject', { sessionKey, message, role });
  if (!res.ok) throw new Error(JSON.stringify(res.error));
  return res.payload as { sessionKey: string; sessionId: string; messageId: string };
}

describe('sessions over the wire', () => {
  it('chat.inject creates the session (the main alias resolves to the default agent) and emits sessions.changed', async () => {
    const out = await inject('main', 'hello from the operator');
    expect(out.sessionKey).toBe('agent:main:main');
    const changed = await c.waitFor((f) => f.event === 'sessions.changed');
    expect(changed.payload).toMatchObject({
      sessionKey: 'agent:main:main',
      agentId: 'main',
      reason: 'created',
    });
  });

  it('sessions.list pages newest first with totals and matches its schema', async () => {
    for (let i = 0; i < 5; i++) await inject(`agent:ops:telegram:dm:${1000 + i}`, `note ${i}`);
    const first = await c.request('sessions.list', { limit: 4 });
    expect(compileValidator(SessionsListResultSchema).issues(first.payload)).toEqual([]);
    const p1 = first.payload as {
      sessions: { key: string; kind: string }[];
      total: number;
      nextCursor?: string;
    };
    expect(p1.total).toBe(6);
    expect(p1.sessions.map((s) => s.key)[0]).toBe('agent:ops:telegram:dm:1004');
    expect(p1.sessions[0]?.kind).toBe('dm');
    const second = await c.request('sessions.list', { limit: 4, cursor: p1.nextCursor });
    const p2 = second.payload as { sessions: { key: string }[]; nextCursor?: string };
    expect(p2.sessions).toHaveLength(2);
    expect(p2.nextCursor).toBeUndefined();
    const opsOnly = await c.request('sessions.list', { agentId: 'ops' });
    expect((opsOnly.payload as { total: number }).total).toBe(5);
  });

  it('refuses an unknown agent with UNKNOWN_AGENT_ID and a bad key with INVALID_SESSION_KEY', async () => {
    const a = await c.request('chat.inject', { sessionKey: 'agent:nobody:main', message: 'x' });
    expect(a.error?.details?.code).toBe('UNKNOWN_AGENT_ID');
    expect(a.error?.message).toContain('main, ops');
    const b = await c.request('chat.history', { sessionKey: 'agent::::' });
    expect(b.error?.details?.code).toBe('INVALID_SESSION_KEY');
  });

  it('chat.history pages from the end with a cursor', async () => {
    for (let i = 0; i < 7; i++) await inject('agent:ops:main', `m${i}`);
    const page1 = (await c.request('chat.history', { sessionKey: 'agent:ops:main', limit: 3 })).payload as {
      messages: { content: string }[];
      hasMore: boolean;
      cursor: number;
    };
    expect(page1.messages.map((m) => m.content)).toEqual(['m4', 'm5', 'm6']);
    expect(page1.hasMore).toBe(true);
    const page2 = (
      await c.request('chat.history', { sessionKey: 'agent:ops:main', limit: 10, cursor: page1.cursor })
    ).payload as { messages: { content: string }[]; hasMore: boolean };
    expect(page2.messages.map((m) => m.content)).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(page2.hasMore).toBe(false);
    const none = await c.request('chat.history', { sessionKey: 'agent:ops:discord:dm:42' });
    expect(none.payload).toMatchObject({ messages: [], hasMore: false });
  });

  it('sessions.preview shows the last messages, and marks missing keys', async () => {
    const res = await c.request('sessions.preview', {
      keys: ['agent:ops:main', 'agent:ops:slack:dm:nobody'],
      limit: 2,
    });
    const previews = (
      res.payload as { previews: { key: string; status: string; items: { text: string }[] }[] }
    ).previews;
    expect(previews[0]).toMatchObject({ key: 'agent:ops:main', status: 'ok' });
    expect(previews[0]?.items.map((i) => i.text)).toEqual(['m5', 'm6']);
    expect(previews[1]?.status).toBe('missing');
  });

  it('sessions.reset starts a new session for the key and keeps the old transcript', async () => {
    const before = (await c.request('chat.history', { sessionKey: 'agent:ops:main' })).payload as {
      sessionId: string;
    };
    const res = await c.request('sessions.reset', { key: 'agent:ops:main' });
    const out = res.payload as { sessionId: string; previousSessionId: string };
    expect(out.previousSessionId).toBe(before.sessionId);
    expect(out.sessionId).not.toBe(before.sessionId);
    const after = (await c.request('chat.history', { sessionKey: 'agent:ops:main' })).payload as {
      messages: unknown[];
    };
    expect(after.messages).toEqual([]);
    const files = await readdir(join(h.stateDir, 'agents', 'ops', 'sessions'));
    expect(files).toContain(`${before.sessionId}.jsonl`);
  });

  it('sessions.delete archives the transcript and forgets the key', async () => {
    const key = 'agent:ops:telegram:dm:1000';
    const res = await c.request('sessions.delete', { key });
    const out = res.payload as { deleted: boolean; archivedPath: string };
    expect(out.deleted).toBe(true);
    expect(out.archivedPath).toMatch(/\.jsonl\.deleted\.\d+$/);
    const list = (await c.request('sessions.list', { agentId: 'ops', search: 'telegram:dm:1000' }))
      .payload as {
      total: number;
    };
    expect(list.total).toBe(0);
  });

  it('health counts sessions per agent', async () => {
    await c.request('health');
    await new Promise((r) => setTimeout(r, 50));
    const res = await c.request('health');
    const agents = (res.payload as { agents: { agentId: string; sessions: { count: number } }[] }).agents;
    expect(agents.find((a) => a.agentId === 'ops')?.sessions.count).toBeGreaterThanOrEqual(4);
  });

  it('a read-only client may list but not inject or reset', async () => {
    const ro = await connectedClient(h.url, h.token, { scopes: ['operator.read'] });
    expect((await ro.request('sessions.list')).ok).toBe(true);
    expect((await ro.request('chat.inject', { sessionKey: 'main', message: 'x' })).error?.code).toBe(
      'FORBIDDEN',
    );
    expect((await ro.request('sessions.reset', { key: 'main' })).error?.code).toBe('FORBIDDEN');
    ro.close();
  });
});
