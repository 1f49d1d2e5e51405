import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../shared/index.js';
import { SessionStore } from './store.js';
import type { SessionChange } from './store-types.js';
import { SessionStores } from './stores.js';
import { INTERRUPTED_TOOL_RESULT } from './transcript.js';

class FakeClock implements Clock {
  t = Date.parse('2025-03-10T12:00:00Z');
  now = () => this.t;
  monotonic = () => this.t;
}

let dir: string;
let clock: FakeClock;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-store-'));
  clock = new FakeClock();
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const KEY = 'agent:main:telegram:dm:42';

function open(extra: Partial<ConstructorParameters<typeof SessionStore>[0]> = {}): SessionStore {
  return new SessionStore({ agentId: 'main', dir, clock, ...extra });
}

async function readJson(file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
}

describe('SessionStore', () => {
  it('creates a session with a versioned transcript header and a versioned index', async () => {
    const changes: SessionChange[] = [];
    const store = open({ onChange: (c) => changes.push(c) });
    const { entry, created } = await store.ensureSession(KEY, {
      origin: { source: 'channel', channel: 'telegram' },
    });
    expect(created).toBe(true);
    const header = JSON.parse(
      (await readFile(store.transcriptPath(entry.sessionId), 'utf8')).split('\n')[0]!,
    );
    expect(header).toEqual({
      type: 'session',
      version: 1,
      id: entry.sessionId,
      sessionKey: KEY,
      agentId: 'main',
      createdAt: clock.t,
    });
    await store.flush(); // fold the index journal into sessions.json
    const index = await readJson(join(dir, 'sessions.json'));
    expect(index).toMatchObject({
      version: 1,
      agentId: 'main',
      sessions: { [KEY]: { sessionId: entry.sessionId } },
    });
    expect((await store.ensureSession(KEY)).created).toBe(false);
    expect(changes.map((c) => c.kind)).toEqual(['created']);
  });

  it('appends linked messages, counts them and sums tokens; a reopened store sees the same', async () => {
    const store = open();
    await store.ensureSession(KEY);
    const u = await store.appendMessage(KEY, { role: 'user', content: 'hi' });
    const a = await store.appendMessage(KEY, {
      role: 'assistant',
      content: [{ type: 'text', text: 'hello' }],
      usage: { input: 10, output: 5 },
    });
    expect(u.parentId).toBeNull();
    expect(a.parentId).toBe(u.id);

    const again = open();
    expect(await again.get(KEY)).toMatchObject({
      messageCount: 2,
      tokens: { input: 10, output: 5, total: 15 },
    });
    const third = await again.appendMessage(KEY, { role: 'user', content: 'more' });
    expect(third.parentId).toBe(a.id);
    await expect(again.appendMessage(KEY, { role: 'robot', content: 'x' } as never)).rejects.toMatchObject({
      code: 'INVALID_MESSAGE',
    });
    await expect(
      again.appendMessage('agent:main:other:dm:1', { role: 'user', content: 'x' }),
    ).rejects.toMatchObject({
      code: 'SESSION_NOT_FOUND',
    });
  });

  it('lists sessions from the index alone, without reading transcripts', async () => {
    const store = open();
    for (const peer of ['1', '2', '3']) {
      clock.t += 1000;
      await store.ensureSession(`agent:main:dm:${peer}`);
      await store.appendMessage(`agent:main:dm:${peer}`, {
        role: 'user',
        content: 'x',
        usage: { input: 1, output: 0 },
      });
    }
    // Garble every transcript: a listing that read them would fail or lose the totals.
    for (const name of await readdir(dir))
      if (name.endsWith('.jsonl')) await writeFile(join(dir, name), '\u0000garbage');
    const reopened = open();
    const list = await reopened.list();
    expect(list.map((e) => [e.sessionKey, e.messageCount, e.tokens.total])).toEqual([
      ['agent:main:dm:3', 1, 1],
      ['agent:main:dm:2', 1, 1],
      ['agent:main:dm:1', 1, 1],
    ]);
    // listView: the same entries in the same order, without copies (list's are copies).
    const view = await reopened.listView();
    expect(view).toEqual(list);
    expect((await reopened.listView())[0]).toBe(view[0]);
    expect((await reopened.list())[0]).not.toBe(list[0]);
  });

  it('resets to a new session id, keeping the old transcript with a reset record at its end', async () => {
    const store = open();
    const first = (await store.ensureSession(KEY, { label: 'Ann' })).entry;
    await store.appendMessage(KEY, { role: 'user', content: 'before' });
    const next = await store.resetSession(KEY, 'command');
    expect(next.sessionId).not.toBe(first.sessionId);
    expect(next).toMatchObject({
      messageCount: 0,
      previousSessionId: first.sessionId,
      resetReason: 'command',
      label: 'Ann',
    });
    const oldLines = (await readFile(store.transcriptPath(first.sessionId), 'utf8')).trim().split('\n');
    expect(JSON.parse(oldLines[oldLines.length - 1]!)).toMatchObject({
      type: 'reset',
      nextSessionId: next.sessionId,
    });
    expect((await store.readHistory(KEY)).messages).toEqual([]);
  });

  it('applies the reset policy in ensureSession with an injected clock', async () => {
    const store = open();
    const policy = { mode: 'daily', atHour: 4, timeZone: 'UTC' } as const;
    const first = (await store.ensureSession(KEY, { resetPolicy: policy })).entry;
    clock.t += 6 * 3600_000; // 18:00, same day
    expect((await store.ensureSession(KEY, { resetPolicy: policy })).resetReason).toBeUndefined();
    clock.t += 12 * 3600_000; // 06:00 next day: past the 04:00 boundary
    const after = await store.ensureSession(KEY, { resetPolicy: policy });
    expect(after.resetReason).toBe('daily');
    expect(after.entry.sessionId).not.toBe(first.sessionId);
  });

  it('deletes by archiving the transcript', async () => {
    const store = open();
    const { entry } = await store.ensureSession(KEY);
    const result = await store.deleteSession(KEY);
    expect(result.deleted).toBe(true);
    expect(result.archivedPath).toBe(`${store.transcriptPath(entry.sessionId)}.deleted.${clock.t}`);
    expect(await readdir(dir)).toContain(`${entry.sessionId}.jsonl.deleted.${clock.t}`);
    expect(await store.get(KEY)).toBeUndefined();
    expect((await store.deleteSession(KEY)).deleted).toBe(false);
  });

  it('repairs a crashed transcript on first use: torn tail and interrupted tool call', async () => {
    const { entry } = await open().ensureSession(KEY);
    const file = join(dir, `${entry.sessionId}.jsonl`);
    const call = { type: 'message', id: 'a1', parentId: null, ts: 1, role: 'assistant', content: '' };
    const toolCalls = [{ id: 'call-9', name: 'exec', args: {} }];
    await writeFile(file, `${JSON.stringify({ ...call, toolCalls })}\n{"type":"mess`, { flag: 'a' });

    const repairs: unknown[] = [];
    const store = open({ onRepair: (r) => repairs.push(r) });
    const { entries } = await store.loadTranscript(KEY);
    expect(entries.map((e) => e.type === 'message' && e.role)).toEqual(['assistant', 'tool']);
    expect(entries[1]).toMatchObject({
      toolCallId: 'call-9',
      isError: true,
      content: INTERRUPTED_TOOL_RESULT,
    });
    expect(repairs).toHaveLength(1);
    const next = await store.appendMessage(KEY, { role: 'user', content: 'still here' });
    expect(next.parentId).toBe(entries[1]!.id);
  });

  it('keeps the index file whole under concurrent writes (atomic replace) and leaves no temp files', async () => {
    const store = open();
    const keys = Array.from({ length: 40 }, (_, i) => `agent:main:dm:${i}`);
    let reading = true;
    let reads = 0;
    const reader = (async () => {
      while (reading) {
        try {
          const text = await readFile(join(dir, 'sessions.json'), 'utf8');
          expect(JSON.parse(text)).toHaveProperty('version', 1);
          reads++;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    await Promise.all(
      keys.map(async (key) => {
        await store.ensureSession(key);
        for (let i = 0; i < 5; i++) await store.appendMessage(key, { role: 'user', content: `m${i}` });
      }),
    );
    await store.flush();
    reading = false;
    await reader;
    expect(reads).toBeGreaterThan(0);
    const index = await readJson(join(dir, 'sessions.json'));
    expect(Object.keys(index.sessions as object)).toHaveLength(40);
    expect(
      Object.values(index.sessions as Record<string, { messageCount: number }>).every(
        (e) => e.messageCount === 5,
      ),
    ).toBe(true);
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('rebuilds a corrupt index from transcript headers and keeps the corrupt file', async () => {
    const store = open();
    await store.ensureSession('agent:main:dm:1');
    await store.ensureSession('agent:main:dm:2');
    await writeFile(join(dir, 'sessions.json'), '{"version":1,"sess');
    const rebuilt: unknown[] = [];
    const list = await open({ onIndexRebuilt: (r) => rebuilt.push(r) }).list();
    expect(list.map((e) => e.sessionKey).sort()).toEqual(['agent:main:dm:1', 'agent:main:dm:2']);
    expect(rebuilt).toHaveLength(1);
    expect((await readdir(dir)).some((n) => n.startsWith('sessions.json.corrupt-'))).toBe(true);
  });

  it('refuses an index from a newer version instead of overwriting it', async () => {
    await writeFile(join(dir, 'sessions.json'), '{"version":9,"agentId":"main","sessions":{}}');
    await expect(open().list()).rejects.toMatchObject({ code: 'SESSION_INDEX_VERSION_UNSUPPORTED' });
  });
});

describe('SessionStores', () => {
  it('keeps at most maxLoaded indexes in memory and drops idle ones', async () => {
    const stores = new SessionStores({
      sessionsDir: (id) => join(dir, id),
      clock,
      maxLoaded: 2,
      idleMs: 60_000,
    });
    for (const agent of ['a', 'b', 'c', 'd']) {
      clock.t += 10;
      await stores.get(agent).ensureSession(`agent:${agent}:main`);
      // A new session's index line is synced in the background; a store is idle once that is done.
      await stores.get(agent).flush();
    }
    stores.evict();
    expect(stores.loadedCount()).toBe(2);
    clock.t += 60_000;
    stores.evict();
    expect(stores.loadedCount()).toBe(0);
    // An evicted agent reloads transparently.
    expect((await stores.get('a').list()).map((e) => e.sessionKey)).toEqual(['agent:a:main']);
    expect(() => new SessionStores({ sessionsDir: () => undefined }).get('x')).toThrow(/unknown agent 'x'/);
  });
});
