import { describe, expect, it } from 'vitest';
import { randomUuid, readTextAttachments } from './attachments.js';
import { type ChatEventPayload, historyToItems, Transcript } from './transcript.js';

const S = 'agent:main:main';
const chat = (runId: string, state: ChatEventPayload['state'], extra: Partial<ChatEventPayload> = {}) =>
  ({ runId, sessionKey: S, state, ...extra }) as ChatEventPayload;
const delta = (runId: string, text: string, deltaText: string) =>
  chat(runId, 'delta', { deltaText, message: { role: 'assistant', content: [{ type: 'text', text }] } });
const tool = (runId: string, data: Record<string, unknown>) => ({
  runId,
  sessionKey: S,
  stream: 'tool',
  data,
});

describe('historyToItems', () => {
  it('shows users, assistants with usage, and folds tool results into their calls', () => {
    const items = historyToItems([
      { id: 'u1', ts: 1, role: 'user', content: 'list files' },
      {
        id: 'a1',
        ts: 2,
        role: 'assistant',
        content: 'Let me look.',
        toolCalls: [{ id: 'c1', name: 'ls', args: { path: '.' } }],
      },
      { id: 't1', ts: 3, role: 'tool', toolCallId: 'c1', toolName: 'ls', content: 'a.txt', isError: false },
      {
        id: 'a2',
        ts: 4,
        role: 'assistant',
        content: [{ type: 'text', text: 'One file.' }],
        usage: { input: 10, output: 3 },
      },
    ]);
    expect(items.map((i) => i.kind)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    expect(items[2]).toMatchObject({ name: 'ls', result: 'a.txt', done: true, isError: false });
    expect(items[2]?.kind === 'tool' && items[2].args).toContain('"path": "."');
    expect(items[3]).toMatchObject({ text: 'One file.', usage: { input: 10, output: 3 } });
  });

  it('turns a recorded failure into an error, flagging the no-model case', () => {
    const items = historyToItems([
      { id: 'u', role: 'user', content: 'hi' },
      {
        id: 'a',
        role: 'assistant',
        content: 'no model is configured: add a provider …',
        stopReason: 'error',
      },
    ]);
    expect(items[1]).toMatchObject({ kind: 'error', configureModel: true });
  });
});

describe('Transcript', () => {
  it('streams a reply into one segment, then settles it with the final text and usage', () => {
    const t = new Transcript();
    t.addLocalUser('hello', 'r1', 1);
    expect(t.items[0]).toMatchObject({ kind: 'user', pending: true });
    t.sent('r1', true);
    expect(t.runningRunId).toBe('r1');
    t.applyChat(delta('r1', 'Hel', 'Hel'), 2);
    t.applyChat(delta('r1', 'Hello', 'lo'), 2);
    expect(t.items.at(-1)).toMatchObject({ kind: 'assistant', text: 'Hello', streaming: true });
    const end = t.applyChat(
      chat('r1', 'final', {
        message: { role: 'assistant', content: [{ type: 'text', text: 'Hello!' }] },
        usage: { input: 5, output: 2 },
      }),
      3,
    );
    expect(end).toEqual({ runId: 'r1', state: 'final', local: true });
    expect(t.items).toHaveLength(2);
    expect(t.items[1]).toMatchObject({ text: 'Hello!', streaming: false, usage: { input: 5, output: 2 } });
    expect(t.items[0]).toMatchObject({ pending: false });
    expect(t.active.size).toBe(0);
  });

  it('puts tool calls between text segments in order and does not repeat text before a tool', () => {
    const t = new Transcript();
    t.addLocalUser('go', 'r2', 1);
    t.applyChat(delta('r2', 'Checking.', 'Checking.'), 1);
    t.applyAgent(tool('r2', { phase: 'start', name: 'read', toolCallId: 'c9', args: { file: 'x' } }));
    t.applyAgent(
      tool('r2', { phase: 'result', name: 'read', toolCallId: 'c9', isError: true, result: 'ENOENT' }),
    );
    // The last assistant message had no text: the gateway repeats the last text it saw.
    t.applyChat(
      chat('r2', 'final', { message: { role: 'assistant', content: [{ type: 'text', text: 'Checking.' }] } }),
      2,
    );
    expect(t.items.map((i) => i.kind)).toEqual(['user', 'assistant', 'tool']);
    expect(t.items[2]).toMatchObject({ name: 'read', isError: true, result: 'ENOENT', done: true });
    t.applyChat(delta('r3', 'After', 'After'), 3);
    t.applyAgent(tool('r3', { phase: 'start', name: 'ls', toolCallId: 'c1', args: {} }));
    t.applyChat(delta('r3', 'Done', 'Done'), 3);
    t.applyChat(
      chat('r3', 'final', { message: { role: 'assistant', content: [{ type: 'text', text: 'Done' }] } }),
      3,
    );
    expect(t.items.slice(3).map((i) => (i.kind === 'assistant' ? i.text : i.kind))).toEqual([
      'After',
      'tool',
      'Done',
    ]);
  });

  it('marks runs started elsewhere as not local, and shows aborts and errors', () => {
    const t = new Transcript();
    expect(t.applyChat(chat('x', 'aborted', { stopReason: 'aborted' }), 1)).toMatchObject({ local: false });
    expect(t.items.at(-1)).toMatchObject({ kind: 'notice', text: 'Stopped.' });
    t.applyChat(chat('y', 'error', { errorMessage: 'no model is configured: add …' }), 2);
    expect(t.items.at(-1)).toMatchObject({ kind: 'error', configureModel: true });
  });

  it('keeps unsent messages across a reload of history and drops them once recorded', () => {
    const t = new Transcript();
    t.addLocalUser('waiting', 'r9', 1);
    t.load({ messages: [{ id: 'old', role: 'user', content: 'earlier' }], hasMore: true, cursor: 40 });
    expect(t.items.map((i) => i.kind === 'user' && i.text)).toEqual(['earlier', 'waiting']);
    t.load({ messages: [{ id: 'm', role: 'user', content: 'waiting', runId: 'r9' }], hasMore: false });
    expect(t.items).toHaveLength(1);
    t.prepend({ messages: [{ id: 'o', role: 'user', content: 'older' }], hasMore: false });
    expect(t.items.map((i) => i.kind === 'user' && i.text)).toEqual(['older', 'waiting']);
    expect(t.hasMore).toBe(false);
  });

  it('reports a failed send with the gateway message', () => {
    const t = new Transcript();
    t.addLocalUser('x', 'r', 1);
    t.failed('r', 'invalid chat.send params: at /message: too long');
    expect(t.items.at(-1)).toMatchObject({
      kind: 'error',
      text: 'invalid chat.send params: at /message: too long',
    });
    expect(t.active.size).toBe(0);
  });
});

describe('attachments', () => {
  const file = (name: string, type: string, content: string) => ({
    name,
    type,
    size: content.length,
    text: async () => content,
  });

  it('reads text files and refuses others with a reason', async () => {
    const { attachments, refused } = await readTextAttachments([
      file('notes.md', '', '# hi'),
      file('a.json', 'application/json', '{}'),
      file('pic.png', 'image/png', 'xx'),
    ]);
    expect(attachments).toEqual([
      { fileName: 'notes.md', mimeType: 'text/plain', content: '# hi' },
      { fileName: 'a.json', mimeType: 'application/json', content: '{}' },
    ]);
    expect(refused).toEqual(['pic.png: only text files can be attached']);
  });

  it('makes RFC 4122 version 4 UUIDs', () => {
    const ids = new Set(Array.from({ length: 50 }, () => randomUuid()));
    expect(ids.size).toBe(50);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
