import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Inbox } from './inbox.js';

interface Msg {
  text: string;
}

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-inbox-'));
  file = join(dir, 'gateway', 'inbox.jsonl');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function opened(options: { compactBytes?: number } = {}) {
  const inbox = new Inbox<Msg>({ file, ...options });
  const recovered = await inbox.start();
  return { inbox, recovered };
}

describe('Inbox', () => {
  it('has the record on disk before accept resolves', async () => {
    const { inbox } = await opened();
    const { record, duplicate } = await inbox.accept({ text: 'hello' }, { sessionKey: 'agent:main:main' });
    expect(duplicate).toBe(false);
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(JSON.parse(lines[lines.length - 1]!)).toMatchObject({
      v: 1,
      op: 'accept',
      id: record.id,
      sessionKey: 'agent:main:main',
      payload: { text: 'hello' },
    });
  });

  it('recovers accepted-but-unanswered messages once after a crash, and none after they are answered', async () => {
    const first = await opened();
    expect(first.recovered).toEqual([]);
    const a = await first.inbox.accept({ text: 'a' }, { id: 'a' });
    await first.inbox.accept({ text: 'b' }, { id: 'b' });
    await first.inbox.accept({ text: 'c' }, { id: 'c', sessionKey: 'k' });
    expect(await first.inbox.answer('b', 'ok')).toBe(true);
    // Crash: the object is dropped without stop().

    const second = await opened();
    expect(second.recovered.map((r) => [r.id, r.payload.text, r.recovered, r.attempts])).toEqual([
      ['a', 'a', true, 0],
      ['c', 'c', true, 0],
    ]);
    expect(second.recovered[0]!.acceptedAt).toBe(a.record.acceptedAt);
    expect(second.recovered[1]!.sessionKey).toBe('k');
    expect(second.inbox.pending().map((r) => r.id)).toEqual(['a', 'c']);
    expect(await second.inbox.answer('a')).toBe(true);
    expect(await second.inbox.answer('c')).toBe(true);
    expect(await second.inbox.answer('c')).toBe(false);
    await second.inbox.stop();

    const third = await opened();
    expect(third.recovered).toEqual([]);
  });

  it('counts the turns that started and crashed (for giving up on a poison message), not mere restarts', async () => {
    const first = await opened();
    await first.inbox.accept({ text: 'poison' }, { id: 'p' });
    await first.inbox.accept({ text: 'waiting' }, { id: 'w' });
    expect(await first.inbox.markStarted('p')).toBe(true);
    expect(await first.inbox.markStarted('unknown')).toBe(false);
    const second = await opened();
    await second.inbox.markStarted('p');
    await second.inbox.stop();
    const { recovered } = await opened();
    expect(recovered.map((r) => [r.id, r.attempts])).toEqual([
      ['p', 2],
      ['w', 0],
    ]);
  });

  it('counts a turn cut off by a crash, not one cut short by a graceful stop, and forgets both once answered', async () => {
    const first = await opened();
    await first.inbox.accept({ text: 'crashes' }, { id: 'crash' });
    await first.inbox.accept({ text: 'stopped' }, { id: 'stop' });
    await first.inbox.accept({ text: 'answered' }, { id: 'done' });
    for (const id of ['crash', 'stop', 'done']) expect(await first.inbox.markStarted(id)).toBe(true);
    // A graceful stop takes back the start of the turn it cut short; the answered one is done.
    expect(await first.inbox.markInterrupted('stop')).toBe(true);
    expect(await first.inbox.answer('done', 'ok')).toBe(true);
    expect(await first.inbox.markInterrupted('done')).toBe(false);
    expect(first.inbox.pending().map((r) => [r.id, r.attempts])).toEqual([
      ['crash', 1],
      ['stop', 0],
    ]);
    const lines = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { v: number; op: string; id: string });
    expect(lines.map((l) => [l.op, l.id]).slice(3)).toEqual([
      ['start', 'crash'],
      ['start', 'stop'],
      ['start', 'done'],
      ['interrupted', 'stop'],
      ['answer', 'done'],
    ]);
    expect(lines.every((l) => l.v === 1)).toBe(true);
    // Crash: dropped without stop(); the start lines were written (not synced) before markStarted resolved.
    const second = await opened();
    expect(second.recovered.map((r) => [r.id, r.attempts])).toEqual([
      ['crash', 1],
      ['stop', 0],
    ]);
    // Counts survive compaction (folded into the accept line), and a second graceful stop nets out again.
    await second.inbox.markStarted('crash');
    await second.inbox.markStarted('stop');
    await second.inbox.markInterrupted('stop');
    expect(await second.inbox.markInterrupted('stop')).toBe(false);
    await second.inbox.stop();
    const third = await opened();
    expect(third.recovered.map((r) => [r.id, r.attempts])).toEqual([
      ['crash', 2],
      ['stop', 0],
    ]);
    expect(await third.inbox.answer('crash', 'ok')).toBe(true);
    expect(await third.inbox.markStarted('crash')).toBe(false);
    await third.inbox.stop();
    expect((await opened()).recovered.map((r) => [r.id, r.attempts])).toEqual([['stop', 0]]);
  });

  it('loads files of older gateways (no attempts, no interrupted lines) and skips ops it does not know', async () => {
    await mkdir(join(dir, 'gateway'), { recursive: true });
    const lines = [
      { v: 1, op: 'accept', id: 'old', at: 5, payload: { text: 'from before attempts' } },
      { v: 1, op: 'start', id: 'old', at: 6 },
      { v: 1, op: 'someday', id: 'old', at: 7 },
      { v: 1, op: 'interrupted', id: 'unknown', at: 8 },
    ];
    await writeFile(file, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    const { recovered } = await opened();
    expect(recovered.map((r) => [r.id, r.payload.text, r.attempts, r.acceptedAt])).toEqual([
      ['old', 'from before attempts', 1, 5],
    ]);
  });

  it('refuses a file written by a newer inbox version', async () => {
    await mkdir(join(dir, 'gateway'), { recursive: true });
    await writeFile(file, `${JSON.stringify({ v: 2, op: 'accept', id: 'x', at: 1, payload: {} })}\n`);
    await expect(new Inbox<Msg>({ file }).start()).rejects.toMatchObject({
      code: 'INBOX_VERSION_UNSUPPORTED',
    });
  });

  it('ignores a torn last line (a crash mid-append: never acknowledged) and rewrites the file clean', async () => {
    const { inbox } = await opened();
    await inbox.accept({ text: 'kept' }, { id: 'k' });
    await writeFile(file, '{"v":1,"op":"accept","id":"torn","at":1,"attem', { flag: 'a' });
    const { recovered } = await opened();
    expect(recovered.map((r) => r.id)).toEqual(['k']);
    const text = await readFile(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text).not.toContain('torn');
  });

  it('never writes or runs a message twice: open and answered duplicates are reported', async () => {
    const { inbox } = await opened();
    await inbox.accept({ text: 'x' }, { id: 'dup' });
    expect((await inbox.accept({ text: 'x' }, { id: 'dup' })).duplicate).toBe('open');
    await inbox.answer('dup');
    expect(inbox.wasAnswered('dup')).toBe(true);
    expect((await inbox.accept({ text: 'x' }, { id: 'dup' })).duplicate).toBe('answered');
    expect((await readFile(file, 'utf8')).match(/"op":"accept"/g)).toHaveLength(1);
  });

  it('persists many concurrent accepts (group commit) and recovers all of them', async () => {
    const { inbox } = await opened();
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => inbox.accept({ text: `m${i}` }, { id: `m${i}` })),
    );
    const { recovered } = await opened();
    expect(recovered.map((r) => r.id).sort()).toEqual(Array.from({ length: 200 }, (_, i) => `m${i}`).sort());
  });

  it('compacts when answered records dominate, atomically, keeping open ones', async () => {
    const { inbox } = await opened({ compactBytes: 4096 });
    await inbox.accept({ text: 'stays open' }, { id: 'open-1' });
    for (let i = 0; i < 300; i++) {
      await inbox.accept({ text: `message ${i} ${'x'.repeat(50)}` }, { id: `id-${i}` });
      await inbox.answer(`id-${i}`);
    }
    expect((await stat(file)).size).toBeLessThan(4096 + 512);
    expect((await readdir(join(dir, 'gateway'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    const { recovered } = await opened();
    expect(recovered.map((r) => r.id)).toEqual(['open-1']);
  });

  it('must be started first, and only once', async () => {
    const inbox = new Inbox<Msg>({ file });
    await expect(inbox.accept({ text: 'x' })).rejects.toMatchObject({ code: 'INBOX_NOT_STARTED' });
    await inbox.start();
    await expect(inbox.start()).rejects.toMatchObject({ code: 'INBOX_STARTED' });
  });
});
