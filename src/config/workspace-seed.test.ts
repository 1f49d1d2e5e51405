import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isCarapaceError } from '../shared/index.js';
import { seedWorkspace, WORKSPACE_SEED_FILES } from './workspace-seed.js';

describe('seedWorkspace', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'carapace-seed-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates every starter file and memory/ in a new folder, private to the owner', async () => {
    const dir = join(root, 'deep', 'workspace');
    const created = await seedWorkspace(dir);
    expect(created).toEqual([
      'AGENTS.md',
      'SOUL.md',
      'USER.md',
      'IDENTITY.md',
      'TOOLS.md',
      'HEARTBEAT.md',
      'MEMORY.md',
      'memory/',
    ]);
    expect(created).toEqual(WORKSPACE_SEED_FILES);
    expect((await readdir(dir)).sort()).toEqual(
      [
        'AGENTS.md',
        'HEARTBEAT.md',
        'IDENTITY.md',
        'MEMORY.md',
        'SOUL.md',
        'TOOLS.md',
        'USER.md',
        'memory',
      ].sort(),
    );
    for (const name of created.filter((n) => n.endsWith('.md'))) {
      const text = await readFile(join(dir, name), 'utf8');
      expect(text.startsWith('# ')).toBe(true);
      expect(text.length).toBeGreaterThan(100);
      expect(text.length).toBeLessThan(2500);
      expect((await stat(join(dir, name))).mode & 0o777).toBe(0o600);
    }
    expect((await stat(join(dir, 'memory'))).isDirectory()).toBe(true);
    expect(await readFile(join(dir, 'AGENTS.md'), 'utf8')).toContain('memory/YYYY-MM-DD.md');
  });

  it('never overwrites an existing file and reports only what it created', async () => {
    await writeFile(join(root, 'SOUL.md'), 'my own soul\n');
    const created = await seedWorkspace(root);
    expect(created).not.toContain('SOUL.md');
    expect(created).toContain('AGENTS.md');
    expect(await readFile(join(root, 'SOUL.md'), 'utf8')).toBe('my own soul\n');
  });

  it('is idempotent: a second run creates nothing and changes nothing', async () => {
    await seedWorkspace(root);
    await writeFile(join(root, 'USER.md'), 'edited\n');
    expect(await seedWorkspace(root)).toEqual([]);
    expect(await readFile(join(root, 'USER.md'), 'utf8')).toBe('edited\n');
  });

  it('fails with a coded error naming the path when the folder is a file', async () => {
    const file = join(root, 'not-a-dir');
    await writeFile(file, 'x');
    const err = await seedWorkspace(file).catch((e: unknown) => e);
    expect(isCarapaceError(err, 'WORKSPACE_SEED_FAILED')).toBe(true);
    expect((err as Error).message).toContain(join(file, 'AGENTS.md'));
  });
});
