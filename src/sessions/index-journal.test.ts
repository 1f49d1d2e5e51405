import { appendFile, copyFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JOURNAL_FILE } from './index-journal.js';
import { SessionStore } from './store.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-journal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const key = (i: number) => `agent:main:dm:${i}`;
const open = () => new SessionStore({ agentId: 'main', dir });
const totals = async (store: SessionStore) =>
  Object.fromEntries((await store.list()).map((e) => [e.sessionKey, e.messageCount]));

describe('session index journal', () => {
  it('keeps changes that were never folded into sessions.json (a store dropped without closing)', async () => {
    const store = open();
    for (let i = 0; i < 5; i++) {
      await store.ensureSession(key(i));
      for (let m = 0; m <= i; m++) await store.appendMessage(key(i), { role: 'user', content: `m${m}` });
    }
    await store.deleteSession(key(0));
    // No flush, no close: what a SIGKILL leaves behind.
    expect((await readFile(join(dir, JOURNAL_FILE), 'utf8')).split('\n').length).toBeGreaterThan(10);
    expect(await totals(open())).toEqual({ [key(1)]: 2, [key(2)]: 3, [key(3)]: 4, [key(4)]: 5 });
  });

  it('folds the journal into sessions.json on flush and empties it', async () => {
    const store = open();
    await store.ensureSession(key(1));
    await store.appendMessage(key(1), { role: 'user', content: 'hi' });
    await store.flush();
    expect((await stat(join(dir, JOURNAL_FILE))).size).toBe(0);
    const index = JSON.parse(await readFile(join(dir, 'sessions.json'), 'utf8'));
    expect(index.sessions[key(1)].messageCount).toBe(1);
    expect(await totals(open())).toEqual({ [key(1)]: 1 });
  });

  it('compacts by itself after many changes and loses none of them', async () => {
    const store = new SessionStore({ agentId: 'main', dir, indexCompactLines: 25 });
    let sawFold = false;
    for (let i = 0; i < 60; i++) {
      await store.ensureSession(key(i % 10));
      await store.appendMessage(key(i % 10), { role: 'user', content: `m${i}` });
      const folded = await readFile(join(dir, 'sessions.json'), 'utf8').catch(() => '');
      if (folded.includes(key(i % 10))) sawFold = true;
    }
    expect(sawFold).toBe(true); // sessions.json was written without any flush
    expect((await stat(join(dir, JOURNAL_FILE))).size).toBeLessThan(25 * 400);
    // Dropped without close: sessions.json plus what the journal holds since.
    const loaded = await totals(open());
    expect(Object.values(loaded)).toEqual(Array(10).fill(6));
  });

  it('replays a journal over a snapshot that already holds it (crash between the two writes)', async () => {
    const store = open();
    await store.ensureSession(key(1));
    await store.appendMessage(key(1), { role: 'user', content: 'a' });
    await store.appendMessage(key(1), { role: 'user', content: 'b' });
    await store.ensureSession(key(2));
    await store.deleteSession(key(2));
    await copyFile(join(dir, JOURNAL_FILE), join(dir, 'journal.copy'));
    await store.flush();
    // Put the already-folded journal back, as if the process died before emptying it.
    await copyFile(join(dir, 'journal.copy'), join(dir, JOURNAL_FILE));
    expect(await totals(open())).toEqual({ [key(1)]: 2 });
  });

  it('skips a torn last line', async () => {
    const store = open();
    await store.ensureSession(key(1));
    await store.appendMessage(key(1), { role: 'user', content: 'a' });
    await appendFile(join(dir, JOURNAL_FILE), '{"op":"put","entry":{"sessionKey":"agent:main:dm:9"');
    const reopened = open();
    expect(await totals(reopened)).toEqual({ [key(1)]: 1 });
    // And the store keeps working on top of it.
    await reopened.appendMessage(key(1), { role: 'user', content: 'b' });
    expect(await totals(open())).toEqual({ [key(1)]: 2 });
  });
});

describe('transcript cache', () => {
  it('gives the same transcript as a fresh read of the file, across appends, compaction and reset', async () => {
    const store = open();
    await store.ensureSession(key(1));
    expect((await store.loadTranscript(key(1))).entries).toEqual([]);
    await store.appendMessage(key(1), { role: 'user', content: 'a' });
    await store.appendMessage(key(1), { role: 'assistant', content: 'b' });
    const first = await store.loadTranscript(key(1));
    await store.appendCompaction(key(1), {
      summary: 's',
      firstKeptId: first.entries[1]!.id,
      tokensBefore: 9,
    });
    await store.appendMessage(key(1), { role: 'user', content: 'c' });
    const cached = await store.loadTranscript(key(1));
    const fresh = await open().loadTranscript(key(1));
    expect(cached.entries.map((e) => e.id)).toEqual(fresh.entries.map((e) => e.id));
    expect(cached.entries).toHaveLength(4);
    expect(cached.header).toEqual(fresh.header);
    // A caller changing its copy does not change what the next caller gets.
    cached.entries.pop();
    expect((await store.loadTranscript(key(1))).entries).toHaveLength(4);
    await store.resetSession(key(1));
    expect((await store.loadTranscript(key(1))).entries).toEqual([]);
    expect((await open().loadTranscript(key(1))).entries).toEqual([]);
  });
});
