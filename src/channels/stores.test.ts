import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../shared/index.js';
import { DedupeStore } from './dedupe.js';
import { OutboundQueue } from './outbound-queue.js';
import {
  MAX_PENDING_PER_ACCOUNT,
  newPairingCode,
  normalizePairingCode,
  PAIRING_ALPHABET,
  PAIRING_TTL_MS,
  PairingStore,
} from './pairing.js';

let dir: string;
let now: number;
const clock: Clock = { now: () => now, monotonic: () => now };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-stores-'));
  now = 1_000_000;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('pairing codes', () => {
  it('are 8 symbols of a 32-symbol alphabet without look-alikes, roughly uniform', () => {
    expect(new Set(PAIRING_ALPHABET).size).toBe(32);
    expect(PAIRING_ALPHABET).not.toMatch(/[IO01]/);
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const code = newPairingCode();
      expect(code).toMatch(/^[A-Z2-9]{8}$/);
      for (const ch of code) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    }
    expect(counts.size).toBe(32);
    for (const n of counts.values()) expect(n).toBeGreaterThan(300); // 500 expected each
    expect(normalizePairingCode('abcd-efgh ')).toBe('ABCDEFGH');
  });
});

describe('PairingStore', () => {
  it('issues at most 3 live codes, one per sender, expiring after an hour, and persists approvals', async () => {
    const path = join(dir, 'credentials', 'telegram', 'default-pairing.json');
    const store = await PairingStore.open(path, clock);
    const issued = [];
    for (let i = 0; i < 5; i++) issued.push(await store.request({ id: `s${i}` }, `s${i}`));
    expect(issued.map((d) => d.kind)).toEqual(['issued', 'issued', 'issued', 'quiet', 'quiet']);
    expect(await store.request({ id: 's0' }, 's0')).toEqual({ kind: 'quiet', reason: 'pending' });
    expect(store.pending()).toHaveLength(MAX_PENDING_PER_ACCOUNT);
    const first = issued[0];
    if (first?.kind !== 'issued') throw new Error('expected a code');
    const approved = await store.approve(first.request.code.toLowerCase());
    expect(approved?.approved.id).toBe('s0');
    expect(await store.approve(first.request.code)).toBeUndefined();
    // A fourth sender still waits: its reply window is per sender, and a slot is free now.
    expect((await store.request({ id: 's3' }, 's3')).kind).toBe('issued');
    now += PAIRING_TTL_MS;
    expect(store.pending()).toEqual([]);
    const reopened = await PairingStore.open(path, clock);
    expect(reopened.isApproved('s0')).toBe(true);
    expect(reopened.isApproved('s1')).toBe(false);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('stores sender ids like __proto__ as plain data', async () => {
    const store = await PairingStore.open(join(dir, 'p.json'), clock);
    expect((await store.request({ id: '__proto__' }, '__proto__')).kind).toBe('issued');
    expect((await store.request({ id: '__proto__' }, '__proto__')).kind).toBe('quiet');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a corrupt file with a clear error', async () => {
    const path = join(dir, 'bad.json');
    await writeFile(path, '{not json');
    await expect(PairingStore.open(path, clock)).rejects.toMatchObject({ code: 'PAIRING_STORE_INVALID' });
  });
});

describe('DedupeStore', () => {
  it('remembers ids across reopen and stays bounded', async () => {
    const path = join(dir, 'seen.txt');
    const store = await DedupeStore.open(path, 100);
    expect(await store.add('a')).toBe(true);
    expect(await store.add('a')).toBe(false);
    for (let i = 0; i < 450; i++) await store.add(`id${i}`);
    await store.close();
    const lines = (await readFile(path, 'utf8')).trim().split('\n');
    expect(lines.length).toBeLessThanOrEqual(201);
    const again = await DedupeStore.open(path, 100);
    expect(again.has('id449')).toBe(true);
    expect(again.has('a')).toBe(false);
    expect(await again.add('id449')).toBe(false);
    await again.close();
  });
});

describe('OutboundQueue', () => {
  it('records chunks once per key and replays their states after a restart', async () => {
    const path = join(dir, 'outbound.jsonl');
    const q = await OutboundQueue.open(path, clock);
    const chunks = await q.enqueue('k', '42', ['one', 'two', 'three']);
    expect(chunks.map((c) => c.id)).toEqual(['k#0', 'k#1', 'k#2']);
    expect(await q.enqueue('k', '42', ['other'])).toHaveLength(3);
    await q.markSending('k#0');
    await q.markSent('k#0', '100');
    await q.markSending('k#1');
    await q.close();
    // A torn last line from a crash is ignored.
    await writeFile(path, `${await readFile(path, 'utf8')}{"v":1,"t":"sent","id":"k#1"`);
    const after = await OutboundQueue.open(path, clock);
    const recovered = after.takeRecovered();
    expect(recovered.map((c) => [c.id, c.possibleDuplicate ?? false])).toEqual([
      ['k#1', true],
      ['k#2', false],
    ]);
    expect(after.get('k#0')).toMatchObject({ state: 'sent', messageId: '100' });
    expect(after.takeRecovered()).toEqual([]);
  });

  it('does not resend chunks older than a day after a restart', async () => {
    const path = join(dir, 'old.jsonl');
    const q = await OutboundQueue.open(path, clock);
    await q.enqueue('old', '1', ['stale']);
    await q.close();
    now += 25 * 60 * 60 * 1000;
    const after = await OutboundQueue.open(path, clock);
    expect(after.takeRecovered()).toEqual([]);
    expect(after.get('old#0')).toMatchObject({ state: 'failed' });
  });
});

describe('OutboundQueue compaction', () => {
  it('keeps the file and the memory bounded while remembering the newest keys', async () => {
    const path = join(dir, 'busy.jsonl');
    const q = await OutboundQueue.open(path, clock, { keepDone: 50, compactEvery: 300 });
    for (let i = 0; i < 300; i++) {
      now++;
      await q.enqueue(`k${i}`, '1', ['x']);
      await q.markSending(`k${i}#0`);
      await q.markRetry(`k${i}#0`);
      await q.markSending(`k${i}#0`);
      await q.markSent(`k${i}#0`, String(i));
    }
    await q.close();
    const lines = (await readFile(path, 'utf8')).trim().split('\n').length;
    expect(lines).toBeLessThan(700);
    const after = await OutboundQueue.open(path, clock);
    expect(after.get('k0#0')).toBeUndefined();
    expect(after.get('k299#0')).toMatchObject({ state: 'sent', messageId: '299', attempts: 2 });
    expect(after.takeRecovered()).toEqual([]);
  });
});
