import Type from 'typebox';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeModels } from '../../test/fakes/fake-model-config.js';
import { type FakeModelServer, startFakeModelServer } from '../../test/fakes/fake-model-server.js';
import { validateConfig } from '../config/index.js';
import { createModelRuntime } from '../models/index.js';
import {
  applyCompaction,
  checkCompaction,
  compactSession,
  memoryFlushPrompt,
  planCompaction,
  serializeForSummary,
} from './compaction.js';
import type { AgentMessage } from './messages.js';
import { userMessage } from './messages.js';
import { defineTool } from './tool.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

const big = (c: string) => c.repeat(400); // ≈ 100 tokens

function conversation(): AgentMessage[] {
  return [
    userMessage(`first ${big('a')}`, 1),
    {
      role: 'assistant',
      content: [{ type: 'toolCall', id: 't1', name: 'read', arguments: { path: 'x' } }],
      timestamp: 2,
      stopReason: 'toolUse',
    },
    {
      role: 'toolResult',
      toolCallId: 't1',
      toolName: 'read',
      content: [{ type: 'text', text: big('r') }],
      isError: false,
      timestamp: 3,
    },
    {
      role: 'assistant',
      content: [{ type: 'text', text: `answer ${big('b')}` }],
      timestamp: 4,
      stopReason: 'stop',
    },
    userMessage(`second ${big('c')}`, 5),
    {
      role: 'assistant',
      content: [{ type: 'text', text: `reply ${big('d')}` }],
      timestamp: 6,
      stopReason: 'stop',
    },
  ];
}

describe('compaction planning', () => {
  it('decides by the estimated share of the context window', () => {
    const messages = conversation();
    expect(checkCompaction({ messages, contextWindow: 1000, thresholdRatio: 0.8 })).toMatchObject({
      needed: false,
      limitTokens: 800,
    });
    expect(checkCompaction({ messages, contextWindow: 500, thresholdRatio: 0.8 }).needed).toBe(true);
  });

  it('keeps the recent tail and never cuts between a tool call and its result', () => {
    const messages = conversation();
    expect(planCompaction(messages, 150)?.firstKeptIndex).toBe(4);
    expect(planCompaction(messages, 280)?.firstKeptIndex).toBe(3);
    // 320 tokens reach into the tool result at 2: the cut moves back to its call at 1.
    expect(planCompaction(messages, 320)?.firstKeptIndex).toBe(1);
    expect(planCompaction(messages, 10_000)).toBeUndefined();
  });

  it('replaces the older part with a summary message', () => {
    const messages = conversation();
    const record = {
      type: 'compaction' as const,
      version: 1 as const,
      timestamp: 9,
      summary: 'S',
      firstKeptIndex: 4,
      tokensBefore: 1,
      tokensAfter: 1,
      usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
      cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 },
    };
    const after = applyCompaction(messages, record);
    expect(after).toHaveLength(3);
    expect(after[0]).toMatchObject({
      role: 'user',
      content: expect.stringContaining('Summary of the earlier part:\n\nS'),
    });
    expect(after.slice(1)).toEqual(messages.slice(4));
    expect(serializeForSummary(messages.slice(0, 3), 10)).toContain('[Tool call read]: {"path":"x"}');
  });
});

describe('compactSession', () => {
  it('runs the memory flush turn with tools first, then summarizes the older turns', async () => {
    const r = validateConfig({
      models: fakeModels(server, {
        provider: 'p',
        api: 'anthropic',
        apiKey: 'sk-compact',
        modelIds: ['c'],
        contextWindow: 1000,
        cost: { input: 1, output: 2 },
      }),
    });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    const rt = createModelRuntime({ models: r.config.models, env: {} });
    const written: string[] = [];
    const writeMemory = defineTool({
      name: 'append_memory',
      description: 'Append to a memory file',
      parameters: Type.Object({ path: Type.String(), text: Type.String() }),
      execute: async (args) => {
        written.push(`${args.path}: ${args.text}`);
        return { content: 'ok' };
      },
    });
    server.enqueue(
      {
        type: 'reply',
        toolCalls: [{ name: 'append_memory', args: { path: 'memory/2030-03-05.md', text: 'likes tea' } }],
      },
      { type: 'reply', text: 'NO_REPLY', usage: { input: 10, output: 1 } },
      {
        type: 'reply',
        text: ['- User asked to read x.', '\n- Open: nothing.'],
        usage: { input: 300, output: 20 },
      },
    );
    const messages = conversation();
    const out = await compactSession({
      messages,
      stream: rt,
      model: 'p/c',
      system: 'sys',
      keepRecentTokens: 150,
      now: () => 42,
      memoryFlush: {
        runId: 'flush-1',
        sessionKey: 's',
        agentId: 'main',
        tools: [writeMemory],
        date: '2030-03-05',
      },
    });

    expect(written).toEqual(['memory/2030-03-05.md: likes tea']);
    const [flushReq, afterTool, summaryReq] = server.requests;
    expect(JSON.stringify(flushReq!.body.messages)).toContain('Pre-compaction memory flush');
    expect(flushReq!.body.tools).toMatchObject([{ name: 'append_memory' }]);
    expect(JSON.stringify(afterTool!.body.messages)).toContain('tool_result');
    expect(summaryReq!.body.tools).toBeUndefined();
    expect(JSON.stringify(summaryReq!.body.messages)).toContain('User: first aaaa');
    expect(JSON.stringify(summaryReq!.body.messages)).not.toContain('second cccc');

    expect(out.flushMessages[0]).toEqual(userMessage(memoryFlushPrompt('2030-03-05'), 42));
    expect(out.flushMessages.map((m) => m.role)).toEqual(['user', 'assistant', 'toolResult', 'assistant']);
    expect(out.record).toMatchObject({
      type: 'compaction',
      version: 1,
      timestamp: 42,
      summary: '- User asked to read x.\n- Open: nothing.',
      firstKeptIndex: 4,
      model: 'p/c',
      usage: { input: 300, output: 20, cacheRead: 0, cacheWrite: 0 },
      cost: { input: 0.0003, output: 0.00004, total: 0.00034 },
    });
    expect(out.record!.tokensAfter).toBeLessThan(out.record!.tokensBefore);
    expect(out.messages).toEqual(applyCompaction([...messages, ...out.flushMessages], out.record!));
    expect(out.error).toBeUndefined();
  });

  it('leaves the conversation as it is when the summary fails', async () => {
    const r = validateConfig({
      models: fakeModels(server, { provider: 'p', apiKey: 'k-1234', contextWindow: 10, maxTokens: 10 }),
    });
    if (!r.ok) throw new Error('bad config');
    const rt = createModelRuntime({ models: r.config.models, env: {} });
    server.enqueue({ type: 'error', status: 400, message: 'nope' });
    const messages = conversation();
    const out = await compactSession({ messages, stream: rt, model: 'p/m', keepRecentTokens: 150 });
    expect(out.record).toBeUndefined();
    expect(out.messages).toEqual(messages);
    expect(out.error).toMatchObject({ kind: 'bad_request' });
  });
});
