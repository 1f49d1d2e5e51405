import { appendFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryIndex } from './memory-index.js';

let dir: string;
let ws: string;
let indexPath: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-memory-'));
  ws = join(dir, 'ws');
  indexPath = join(dir, 'state', 'agents', 'main', 'memory', 'index.json');
  await mkdir(join(ws, 'memory'), { recursive: true });
  await writeFile(
    join(ws, 'MEMORY.md'),
    '# People\n- Anna is my sister; she lives in Lisbon.\n\n# Preferences\n- Coffee: flat white, no sugar.\n- Prefers meetings after 10:00.\n',
  );
  await writeFile(
    join(ws, 'memory', '2025-03-01.md'),
    '- Booked flights to Lisbon for the Easter visit.\n- Started reading a novel about whales.\n',
  );
  await writeFile(
    join(ws, 'memory', '2025-03-02.md'),
    '# Health\n- Dentist appointment moved to Thursday 14:00 at Dr. Okafor.\n- Remember to bring the insurance card.\n\n# Work\n- Quarterly report due Friday.\n',
  );
  await writeFile(join(ws, 'memory', '2025-03-03.md'), '- Bought a new bike helmet.\n');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const index = () => new MemoryIndex({ workspaceDir: ws, indexPath, chunkMaxChars: 400 });

describe('MemoryIndex', () => {
  it('ranks the expected note first and returns its file and line range', async () => {
    const r = await index().search('when is my dentist appointment?', { maxResults: 3 });
    expect(r.mode).toBe('bm25');
    expect(r.hits[0]).toMatchObject({ path: 'memory/2025-03-02.md', startLine: 1, endLine: 3 });
    expect(r.hits[0]?.snippet).toContain('Dr. Okafor');
    expect(r.hits[0]?.score).toBe(1);
    const sister = await index().search('sister', { maxResults: 5 });
    expect(sister.hits.map((h) => [h.path, h.startLine, h.endLine])).toEqual([['MEMORY.md', 1, 2]]);
    expect((await index().search('Lisbon', { maxResults: 5 })).hits.map((h) => h.path).sort()).toEqual([
      'MEMORY.md',
      'memory/2025-03-01.md',
    ]);
  });

  it('sees an appended line on the next search, and a removed file disappears', async () => {
    const idx = index();
    expect((await idx.search('passport renewal', { maxResults: 3 })).hits).toEqual([]);
    await appendFile(
      join(ws, 'memory', '2025-03-03.md'),
      '- Passport renewal form sent; expect it in 6 weeks.\n',
    );
    const after = await idx.search('passport renewal', { maxResults: 3 });
    expect(after.hits[0]).toMatchObject({ path: 'memory/2025-03-03.md', startLine: 1, endLine: 2 });
    await rm(join(ws, 'memory', '2025-03-03.md'));
    expect((await idx.search('passport', { maxResults: 3 })).hits).toEqual([]);
  });

  it('persists the index in the state dir and reuses it: unchanged files are not re-read', async () => {
    const first = await index().refresh();
    expect(first.updated).toHaveLength(4);
    expect(first.files).toBe(4);
    expect((await stat(indexPath)).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(await readFile(indexPath, 'utf8')) as { version: number; files: object };
    expect(saved.version).toBe(1);
    expect(Object.keys(saved.files).sort()).toEqual([
      'MEMORY.md',
      'memory/2025-03-01.md',
      'memory/2025-03-02.md',
      'memory/2025-03-03.md',
    ]);
    const again = await index().refresh();
    expect(again.updated).toEqual([]);
    const rebuilt = await index().reindex();
    expect(rebuilt.updated).toHaveLength(4);
  });

  it('indexes only MEMORY.md and Markdown under memory/', async () => {
    await writeFile(join(ws, 'AGENTS.md'), '- secret plan about dentist\n');
    await writeFile(join(ws, 'memory', 'notes.txt'), 'dentist\n');
    const r = await index().search('dentist', { maxResults: 10 });
    expect(r.hits.map((h) => h.path)).toEqual(['memory/2025-03-02.md']);
  });
});
