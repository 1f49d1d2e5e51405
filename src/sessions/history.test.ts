import { mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { linesBackward, readHistory, readLastEntryId } from './history.js';
import type { MessageEntry } from './schema.js';
import { createTranscript } from './transcript.js';

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-history-'));
  file = join(dir, 's.jsonl');
  await createTranscript(file, { id: 's', sessionKey: 'agent:main:main', agentId: 'main', createdAt: 1 });
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function line(i: number): string {
  const entry: MessageEntry = {
    type: 'message',
    id: `m${i}`,
    parentId: i === 0 ? null : `m${i - 1}`,
    ts: i,
    role: i % 2 === 0 ? 'user' : 'assistant',
    // Multi-byte text so chunk boundaries fall inside characters.
    content: `message ${i} ${'é中😀'.repeat(i % 7)}`,
  };
  return `${JSON.stringify(entry)}\n`;
}

async function writeMessages(n: number, extra = ''): Promise<void> {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    lines.push(line(i));
    if (i % 10 === 9) lines.push('{"type":"compaction","id":"c","parentId":null,"ts":1,"summary":"s"}\n');
  }
  await writeFile(file, lines.join('') + extra, { flag: 'a' });
}

describe('readHistory', () => {
  it('pages a large transcript from the end back to the start, oldest first within a page', async () => {
    await writeMessages(10_000);
    expect((await stat(file)).size).toBeGreaterThan(1_000_000);
    const first = await readHistory(file, { limit: 100 });
    expect(first.messages.map((m) => m.id)).toEqual(Array.from({ length: 100 }, (_, i) => `m${9900 + i}`));
    expect(first.hasMore).toBe(true);

    const seen: string[] = [];
    let page = first;
    let pages = 1;
    seen.unshift(...page.messages.map((m) => m.id));
    while (page.hasMore) {
      page = await readHistory(file, { limit: 777, cursor: page.cursor! });
      seen.unshift(...page.messages.map((m) => m.id));
      pages++;
    }
    expect(page.cursor).toBeUndefined();
    expect(pages).toBe(1 + Math.ceil(9900 / 777));
    expect(seen).toEqual(Array.from({ length: 10_000 }, (_, i) => `m${i}`));
    expect(seen.map((id) => id)).toHaveLength(new Set(seen).size);
  });

  it('reads the newest page of a 3 GiB file without reading the whole file', async () => {
    // A sparse file: too large for readFile (over 2 GiB), so only a backwards reader can serve it.
    const handle = await open(file, 'r+');
    await handle.truncate(3 * 1024 ** 3);
    await handle.close();
    await writeMessages(200, '');
    const page = await readHistory(file, { limit: 50 });
    expect(page.messages.map((m) => m.id)).toEqual(Array.from({ length: 50 }, (_, i) => `m${150 + i}`));
    expect(page.hasMore).toBe(true);
  });

  it('skips a torn last line and stops at the header', async () => {
    await writeMessages(3, '{"type":"message","id":"torn","par');
    const page = await readHistory(file, { limit: 10 });
    expect(page.messages.map((m) => m.id)).toEqual(['m0', 'm1', 'm2']);
    expect(page.hasMore).toBe(false);
    expect(await readLastEntryId(file)).toBe('m2');
  });

  it('refuses a cursor outside the file and a bad limit', async () => {
    await writeMessages(3);
    await expect(readHistory(file, { cursor: 10 ** 9 })).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
    await expect(readHistory(file, { cursor: -1 })).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
    await expect(readHistory(file, { limit: 0 })).rejects.toMatchObject({ code: 'INVALID_HISTORY_LIMIT' });
  });

  it('finds no last entry in a header-only transcript', async () => {
    expect(await readLastEntryId(file)).toBeNull();
    expect(await readHistory(file)).toEqual({ messages: [], hasMore: false });
  });
});

describe('linesBackward', () => {
  it('yields every line with its byte offset for any chunk size', async () => {
    const text = 'a\nbé\n\nccc\nd';
    await writeFile(file, text);
    const handle = await open(file, 'r');
    for (const chunk of [1, 2, 3, 64]) {
      const got: Array<[string, number]> = [];
      for await (const { line: l, start } of linesBackward(handle, Buffer.byteLength(text), chunk))
        got.push([l, start]);
      expect(got).toEqual([
        ['d', 11],
        ['ccc', 7],
        ['', 6],
        ['bé', 2],
        ['a', 0],
      ]);
    }
    await handle.close();
  });
});
