import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CarapaceError } from '../shared/index.js';
import {
  createBuiltinTools,
  createMessageTool,
  createSessionStatusTool,
  filterTools,
  resolveToolPolicy,
} from './index.js';
import type { MessageMeta, MessageRequest } from './message-tool.js';

const ctx = { sessionKey: 'agent:main:telegram:dm:1', agentId: 'main', runId: 'run-1', toolCallId: 'c1' };
const signal = new AbortController().signal;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-builtin-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('message', () => {
  it('sends through the outbound port with who is asking', async () => {
    const sent: [MessageRequest, Omit<MessageMeta, 'signal'>][] = [];
    const tool = createMessageTool({
      send: async (msg, { signal: _s, ...meta }) => {
        sent.push([msg, meta]);
        return { messageId: '42' };
      },
    });
    const out = await tool.execute(
      { channel: 'telegram', to: '123', text: 'hi', accountId: 'work' },
      ctx,
      signal,
    );
    expect(out).toEqual({ content: 'Sent to telegram:123 (message id 42).' });
    expect(sent).toEqual([
      [
        { channel: 'telegram', to: '123', text: 'hi', accountId: 'work' },
        { sessionKey: ctx.sessionKey, agentId: 'main', runId: 'run-1' },
      ],
    ]);
  });

  it('turns a refused or failed send into an error result', async () => {
    const tool = createMessageTool({
      send: async () => {
        throw new CarapaceError('RECIPIENT_NOT_ALLOWED', 'telegram:999 is not an approved recipient');
      },
    });
    const out = await tool.execute({ channel: 'telegram', to: '999', text: 'x' }, ctx, signal);
    expect(out).toEqual({
      content: 'message failed: telegram:999 is not an approved recipient',
      isError: true,
    });
  });
});

describe('session_status', () => {
  it('answers from the status port for the calling session', async () => {
    const asked: unknown[] = [];
    const tool = createSessionStatusTool({
      status: async (q) => {
        asked.push(q);
        return { model: 'fake/model', tokens: 1234 };
      },
    });
    expect(await tool.execute({}, ctx, signal)).toEqual({ content: { model: 'fake/model', tokens: 1234 } });
    expect(asked).toEqual([{ sessionKey: ctx.sessionKey, agentId: 'main' }]);
  });
});

describe('createBuiltinTools', () => {
  it('assembles every tool whose port is given, with unique names and object schemas', () => {
    const tools = createBuiltinTools({
      workspaceDir: dir,
      message: { send: async () => undefined },
      sessionStatus: { status: async () => 'ok' },
    });
    const names = tools.map((t) => t.name);
    expect(names).toEqual([
      'read',
      'write',
      'edit',
      'apply_patch',
      'ls',
      'find',
      'grep',
      'web_fetch',
      'web_search',
      'message',
      'session_status',
    ]);
    expect(new Set(names).size).toBe(names.length);
    for (const t of tools) {
      expect((t.parameters as { type?: string }).type, t.name).toBe('object');
      expect(t.description.length, t.name).toBeGreaterThan(20);
    }
    expect(createBuiltinTools({ workspaceDir: dir }).map((t) => t.name)).not.toContain('message');
  });

  it('is narrowed by the policy', () => {
    const tools = createBuiltinTools({ workspaceDir: dir, sessionStatus: { status: async () => 'ok' } });
    const policy = resolveToolPolicy({ tools: { profile: 'minimal', allow: ['read'] } }, 'main');
    expect(filterTools(tools, policy).map((t) => t.name)).toEqual(['read', 'session_status']);
  });
});
