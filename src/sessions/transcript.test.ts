import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../shared/index.js';
import type { MessageEntry } from './schema.js';
import {
  appendEntries,
  createTranscript,
  INTERRUPTED_TOOL_RESULT,
  loadTranscript,
  parseTranscript,
  repairTranscript,
} from './transcript.js';

const clock: Clock = { now: () => 1_700_000_000_000, monotonic: () => 0 };
let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-transcript-'));
  file = join(dir, 's1.jsonl');
  await createTranscript(file, { id: 's1', sessionKey: 'agent:main:main', agentId: 'main', createdAt: 1 });
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function msg(id: string, parentId: string | null, fields: Partial<MessageEntry> = {}): MessageEntry {
  return { type: 'message', id, parentId, ts: 2, role: 'user', content: `text ${id}`, ...fields };
}

describe('repairTranscript: torn tail', () => {
  it('cuts a torn last line, keeps the bytes in a .bak, and the next append parses', async () => {
    await appendEntries(file, [msg('a', null), msg('b', 'a')], true);
    const torn = '{"type":"message","id":"c","parentId":"b","ts":3,"role":"assis';
    await writeFile(file, torn, { flag: 'a' });

    const report = await repairTranscript(file, clock);
    expect(report.tornBytes).toBe(Buffer.byteLength(torn));
    expect(report.lastId).toBe('b');
    expect(await readFile(report.backupPath!, 'utf8')).toBe(torn);
    expect((await readdir(dir)).some((n) => n.startsWith('s1.jsonl.torn-'))).toBe(true);

    await appendEntries(file, [msg('d', 'b')], true);
    const loaded = await loadTranscript(file);
    expect(loaded.skippedLines).toBe(0);
    expect(loaded.header?.sessionKey).toBe('agent:main:main');
    expect(loaded.entries.map((e) => e.id)).toEqual(['a', 'b', 'd']);
  });

  it('cuts garbage after the last intact line (NUL bytes from a crash)', async () => {
    await appendEntries(file, [msg('a', null)], true);
    await writeFile(file, Buffer.alloc(300), { flag: 'a' });
    await writeFile(file, '\n\u0000\u0000{"x\n', { flag: 'a' });
    const report = await repairTranscript(file, clock);
    expect(report.tornBytes).toBe(300 + 7);
    expect((await loadTranscript(file)).entries.map((e) => e.id)).toEqual(['a']);
  });

  it('keeps a complete last line that only lacks its newline, and adds the newline', async () => {
    await writeFile(file, JSON.stringify(msg('a', null)), { flag: 'a' });
    const report = await repairTranscript(file, clock);
    expect(report).toMatchObject({ tornBytes: 0, lastId: 'a' });
    expect(report.backupPath).toBeUndefined();
    expect((await readFile(file, 'utf8')).endsWith('}\n')).toBe(true);
  });

  it('leaves an intact file byte-for-byte alone', async () => {
    await appendEntries(file, [msg('a', null), msg('b', 'a')], true);
    const before = await readFile(file, 'utf8');
    expect(await repairTranscript(file, clock)).toMatchObject({ tornBytes: 0, interruptedToolCalls: [] });
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('reports a missing header when even the header was torn', async () => {
    await writeFile(file, '{"type":"sess');
    const report = await repairTranscript(file, clock);
    expect(report.header).toBeUndefined();
    expect(await readFile(file, 'utf8')).toBe('');
  });
});

describe('repairTranscript: interrupted tool calls', () => {
  it('answers every tool call without a result, once', async () => {
    await appendEntries(
      file,
      [
        msg('u', null),
        msg('a1', 'u', {
          role: 'assistant',
          content: '',
          toolCalls: [
            { id: 'call-1', name: 'read', args: { path: 'x' } },
            { id: 'call-2', name: 'exec', args: { cmd: 'ls' } },
          ],
        }),
        msg('t1', 'a1', { role: 'tool', toolCallId: 'call-1', toolName: 'read', content: 'ok' }),
      ],
      true,
    );
    const report = await repairTranscript(file, clock);
    expect(report.interruptedToolCalls).toEqual(['call-2']);
    const { entries } = await loadTranscript(file);
    const fix = entries[entries.length - 1] as MessageEntry;
    expect(fix).toMatchObject({
      role: 'tool',
      toolCallId: 'call-2',
      toolName: 'exec',
      isError: true,
      content: INTERRUPTED_TOOL_RESULT,
      parentId: 't1',
    });
    expect(report.lastId).toBe(fix.id);

    const again = await repairTranscript(file, clock);
    expect(again.interruptedToolCalls).toEqual([]);
    expect((await loadTranscript(file)).entries).toHaveLength(entries.length);
  });
});

describe('parseTranscript', () => {
  it('refuses a transcript from a newer version', () => {
    const text = '{"type":"session","version":2,"id":"x","sessionKey":"k","agentId":"a","createdAt":1}\n';
    expect(() => parseTranscript(text)).toThrow(
      expect.objectContaining({ code: 'TRANSCRIPT_VERSION_UNSUPPORTED' }),
    );
  });

  it('refuses to create over an existing transcript', async () => {
    await expect(
      createTranscript(file, { id: 's1', sessionKey: 'k', agentId: 'a', createdAt: 1 }),
    ).rejects.toMatchObject({
      code: 'TRANSCRIPT_EXISTS',
    });
  });
});
