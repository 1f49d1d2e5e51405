import { mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppendLog, AppendLogPool } from './append-log.js';
import { deferred } from './deferred.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-append-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('AppendLog', () => {
  it('keeps appends in call order, including those made while a write runs', async () => {
    const log = new AppendLog(join(dir, 'a.jsonl'));
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) writes.push(log.append(`${i}\n`, i % 7 === 0));
    await Promise.all(writes);
    await log.close();
    const lines = (await readFile(log.path, 'utf8')).trim().split('\n').map(Number);
    expect(lines).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('creates the file with the given mode and reopens it after close', async () => {
    const log = new AppendLog(join(dir, 'b.jsonl'), { mode: 0o600 });
    await log.append('one\n', true);
    expect((await stat(log.path)).mode & 0o777).toBe(0o600);
    await log.close();
    // Moved away while closed: the next append starts a new file at the old path.
    await rename(log.path, join(dir, 'b.old'));
    await log.append('two\n', false);
    await log.close();
    expect(await readFile(log.path, 'utf8')).toBe('two\n');
    expect(await readFile(join(dir, 'b.old'), 'utf8')).toBe('one\n');
  });

  it('rejects the appends of a failed write and recovers on the next one', async () => {
    const log = new AppendLog(join(dir, 'missing', 'c.jsonl'));
    await expect(log.append('x\n', true)).rejects.toThrow(/ENOENT/);
    expect(log.busy).toBe(false);
    const ok = new AppendLog(join(dir, 'c.jsonl'));
    await ok.append('y\n', false);
    await ok.close();
    expect(await readFile(ok.path, 'utf8')).toBe('y\n');
  });
  it('writes a small non-durable append at once while a sync runs, unless something waits behind it', async () => {
    const gate = deferred<void>();
    let syncs = 0;
    const log = new AppendLog(join(dir, 'sync.jsonl'), {
      sync: async () => {
        syncs++;
        await gate.promise;
      },
    });
    const resolved: string[] = [];
    const a = log.append('a\n', true).then(() => resolved.push('a'));
    while (syncs === 0) await new Promise((r) => setImmediate(r));
    await log.append('b\n', false); // resolves while the sync of `a` still runs
    expect(resolved).toEqual([]);
    expect(await readFile(log.path, 'utf8')).toBe('a\nb\n');
    // A durable append now waits for the next sync, and a non-durable one behind it waits its turn.
    const c = log.append('c\n', true).then(() => resolved.push('c'));
    const d = log.append('d\n', false).then(() => resolved.push('d'));
    await new Promise((r) => setImmediate(r));
    expect(await readFile(log.path, 'utf8')).toBe('a\nb\n');
    gate.resolve();
    await Promise.all([a, c, d]);
    expect(resolved).toEqual(['a', 'c', 'd']);
    expect(syncs).toBe(2);
    expect(await readFile(log.path, 'utf8')).toBe('a\nb\nc\nd\n');
    await log.close();
  });
});

describe('AppendLogPool', () => {
  it('closes the least recently used logs beyond maxOpen without losing or reordering lines', async () => {
    const pool = new AppendLogPool({ maxOpen: 3 });
    const writes: Promise<void>[] = [];
    for (let round = 0; round < 20; round++) {
      for (let f = 0; f < 8; f++) writes.push(pool.append(join(dir, `f${f}.jsonl`), `${round}\n`, false));
    }
    expect(pool.size).toBeLessThanOrEqual(3);
    await Promise.all(writes);
    await pool.closeAll();
    for (let f = 0; f < 8; f++) {
      const lines = (await readFile(join(dir, `f${f}.jsonl`), 'utf8')).trim().split('\n').map(Number);
      expect(lines).toEqual(Array.from({ length: 20 }, (_, i) => i));
    }
  });

  it('release() lets the caller move a file; later appends go to a new file', async () => {
    const pool = new AppendLogPool();
    const path = join(dir, 's.jsonl');
    await pool.append(path, 'a\n', true);
    await pool.release(path);
    await rename(path, `${path}.deleted`);
    await pool.append(path, 'b\n', false);
    await pool.closeAll();
    expect(await readFile(`${path}.deleted`, 'utf8')).toBe('a\n');
    expect(await readFile(path, 'utf8')).toBe('b\n');
  });
});
