import { mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TextFileCache } from './file-cache.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-fcache-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('TextFileCache', () => {
  it('sees every change: rewrite, same-length rewrite, replace by rename, delete', async () => {
    const cache = new TextFileCache();
    const file = join(dir, 'AGENTS.md');
    await writeFile(file, 'one');
    expect(await cache.read(file)).toBe('one');
    await writeFile(file, 'two and more');
    expect(await cache.read(file)).toBe('two and more');
    await writeFile(join(dir, 'tmp'), 'three was');
    await rename(join(dir, 'tmp'), file);
    expect(await cache.read(file)).toBe('three was');
    await unlink(file);
    await expect(cache.read(file)).rejects.toMatchObject({ code: 'ENOENT' });
    await writeFile(file, 'back');
    expect(await cache.read(file)).toBe('back');
  });

  it('keeps at most maxEntries files', async () => {
    const cache = new TextFileCache({ maxEntries: 3 });
    for (let i = 0; i < 6; i++) {
      await writeFile(join(dir, `f${i}`), String(i));
      expect(await cache.read(join(dir, `f${i}`))).toBe(String(i));
    }
    expect(cache.size).toBe(3);
  });
});
