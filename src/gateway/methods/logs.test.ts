import { appendFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tailLog } from './logs.js';

async function logFile(lines: string[]) {
  const file = join(await mkdtemp(join(tmpdir(), 'tail-')), 'g.jsonl');
  await writeFile(file, lines.map((l) => `${l}\n`).join(''));
  return file;
}

describe('tailLog', () => {
  it('returns the last lines without a cursor, then only new whole lines after it', async () => {
    const file = await logFile(Array.from({ length: 500 }, (_, i) => `{"n":${i}}`));
    const first = await tailLog(file, { limit: 3 });
    expect(first.lines).toEqual(['{"n":497}', '{"n":498}', '{"n":499}']);
    expect(first.truncated).toBe(true);
    await appendFile(file, '{"n":500}\n{"n":50');
    const next = await tailLog(file, { cursor: first.cursor });
    expect(next.lines).toEqual(['{"n":500}']); // the half-written line waits for its newline
    await appendFile(file, '1}\n');
    expect((await tailLog(file, { cursor: next.cursor })).lines).toEqual(['{"n":501}']);
  });

  it('pages forward with limit', async () => {
    const file = await logFile(['a', 'b', 'c', 'd']);
    const p1 = await tailLog(file, { cursor: 0, limit: 2 });
    expect(p1.lines).toEqual(['a', 'b']);
    const p2 = await tailLog(file, { cursor: p1.cursor, limit: 2 });
    expect(p2.lines).toEqual(['c', 'd']);
  });

  it('restarts with reset when the cursor is past the end (rotated file)', async () => {
    const file = await logFile(['x']);
    const res = await tailLog(file, { cursor: 10_000 });
    expect(res).toMatchObject({ reset: true, lines: ['x'] });
  });

  it('answers an empty page for a missing file', async () => {
    expect(await tailLog('/nonexistent/dir/g.jsonl', {})).toMatchObject({ lines: [], size: 0 });
  });
});
