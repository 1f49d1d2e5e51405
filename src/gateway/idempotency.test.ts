import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashParams, IdempotencyStore } from './idempotency.js';

function fakeClock(start = 1_000_000) {
  let t = start;
  return { now: () => t, monotonic: () => t, advance: (ms: number) => (t += ms) };
}
async function tempFile() {
  return join(await mkdtemp(join(tmpdir(), 'idem-')), 'idempotency.jsonl');
}

describe('hashParams', () => {
  it('ignores key order and undefined values but not content', () => {
    expect(hashParams({ a: 1, b: [1, { c: 2 }] })).toBe(hashParams({ b: [1, { c: 2 }], a: 1, d: undefined }));
    expect(hashParams({ a: 1 })).not.toBe(hashParams({ a: 2 }));
  });
});

describe('IdempotencyStore', () => {
  it('goes new → in_flight → done and survives reopening', async () => {
    const path = await tempFile();
    const clock = fakeClock();
    const store = await IdempotencyStore.open(path, { ttlMs: 60_000, maxEntries: 100, clock });
    expect(store.begin('send', 'k', 'h')).toEqual({ kind: 'new' });
    await store.start('send', 'k', 'h');
    expect(store.begin('send', 'k', 'h').kind).toBe('in_flight');
    await store.finish('send', 'k', { ok: true, payload: { id: 7 } });
    const reopened = await IdempotencyStore.open(path, { ttlMs: 60_000, maxEntries: 100, clock });
    const again = reopened.begin('send', 'k', 'h');
    expect(again.kind).toBe('done');
    expect(again.kind === 'done' && again.record.payload).toEqual({ id: 7 });
  });

  it('refuses the same key with different params', async () => {
    const store = await IdempotencyStore.open(await tempFile(), {
      ttlMs: 60_000,
      maxEntries: 100,
      clock: fakeClock(),
    });
    await store.start('send', 'k', 'h1');
    expect(() => store.begin('send', 'k', 'h2')).toThrow(/different params/);
  });

  it('keys are per method', async () => {
    const store = await IdempotencyStore.open(await tempFile(), {
      ttlMs: 60_000,
      maxEntries: 100,
      clock: fakeClock(),
    });
    await store.start('send', 'k', 'h');
    expect(store.begin('agent', 'k', 'h').kind).toBe('new');
  });

  it('marks records in flight at a crash as recovered', async () => {
    const path = await tempFile();
    const clock = fakeClock();
    const store = await IdempotencyStore.open(path, { ttlMs: 60_000, maxEntries: 100, clock });
    await store.start('agent', 'run-1', 'h');
    const reopened = await IdempotencyStore.open(path, { ttlMs: 60_000, maxEntries: 100, clock });
    expect(reopened.recoveredInFlight().map((r) => r.key)).toEqual(['run-1']);
  });

  it('expires records after the TTL and evicts beyond maxEntries', async () => {
    const clock = fakeClock();
    const store = await IdempotencyStore.open(await tempFile(), { ttlMs: 1000, maxEntries: 10, clock });
    for (let i = 0; i < 25; i++) await store.start('m', `k${i}`, 'h');
    expect(store.size).toBe(10);
    expect(store.begin('m', 'k0', 'h').kind).toBe('new');
    expect(store.begin('m', 'k24', 'h').kind).toBe('in_flight');
    clock.advance(1001);
    expect(store.begin('m', 'k24', 'h').kind).toBe('new');
  });

  it('ignores a torn last line and compacts on open', async () => {
    const path = await tempFile();
    const clock = fakeClock();
    const store = await IdempotencyStore.open(path, { ttlMs: 60_000, maxEntries: 100, clock });
    await store.start('m', 'a', 'h');
    await store.finish('m', 'a', { ok: true, payload: 1 });
    await writeFile(path, `${await readFile(path, 'utf8')}{"v":1,"method":"m","key":"b","par`);
    const reopened = await IdempotencyStore.open(path, { ttlMs: 60_000, maxEntries: 100, clock });
    expect(reopened.begin('m', 'a', 'h').kind).toBe('done');
    expect(reopened.begin('m', 'b', 'h').kind).toBe('new');
    expect((await readFile(path, 'utf8')).trim().split('\n')).toHaveLength(1);
  });
});
