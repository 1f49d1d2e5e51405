import Type from 'typebox';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeModels } from '../../test/fakes/fake-model-config.js';
import { type FakeModelServer, startFakeModelServer } from '../../test/fakes/fake-model-server.js';
import { validateConfig } from '../config/index.js';
import { createModelRuntime } from '../models/index.js';
import type { AgentEvent, AgentRun } from './events.js';
import { type AgentRunInput, runAgent } from './loop.js';
import { type AgentMessage, messageText, userMessage } from './messages.js';
import { type AgentTool, defineTool } from './tool.js';
import { TOOL_ABORT_GRACE_MS } from './tool-exec.js';

let server: FakeModelServer;
// The provider package is loaded with the first model call (not with the gateway): load it before the
// short deadlines below, so they time the model's silence and not the module loading.
beforeAll(async () => {
  await import('@ai-sdk/openai');
});
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

const KEY = 'sk-loop-canary-5f3a9c';

function setup(retry: Record<string, number> = {}) {
  const r = validateConfig({
    models: fakeModels(server, {
      provider: 'p',
      apiKey: KEY,
      contextWindow: 100_000,
      maxTokens: 1000,
      cost: { input: 3, output: 15 },
      retry,
    }),
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  const delays: number[] = [];
  const rt = createModelRuntime({
    models: r.config.models,
    env: {},
    sleep: async (ms) => void delays.push(ms),
  });
  return { rt, delays };
}

function start(extra: Partial<AgentRunInput> & { text?: string } = {}): AgentRun {
  const { rt } = setup();
  const { text = 'hi', ...rest } = extra;
  return runAgent({
    runId: 'run-1',
    sessionKey: 'agent:main:main',
    agentId: 'main',
    messages: [userMessage(text, 1)],
    stream: rt,
    model: 'p/m',
    secrets: () => rt.knownSecrets(),
    ...rest,
  });
}

async function drain(run: AgentRun) {
  const events: AgentEvent[] = [];
  for await (const ev of run) events.push(ev);
  return { events, result: await run.result };
}

const streams = (events: AgentEvent[]) =>
  events.map((e) => `${e.stream}:${'phase' in e.data ? e.data.phase : ''}`);

function echoTool(calls: unknown[] = []): AgentTool {
  return defineTool({
    name: 'echo',
    description: 'Repeat a text',
    parameters: Type.Object({ text: Type.String(), times: Type.Integer({ minimum: 1, default: 1 }) }),
    async execute(args, ctx) {
      calls.push({ args, ctx });
      return { content: args.text.repeat(args.times) };
    },
  });
}

/** The messages the model was sent in request `i` (Chat Completions wire format). */
const sent = (i: number) => server.requests[i]!.body.messages as { role: string; content: unknown }[];

/** A tool that waits until the run's signal stops it, then answers 'stopped early'. */
const waitTool = () =>
  defineTool({
    name: 'wait',
    description: 'Wait until stopped',
    parameters: Type.Object({}),
    execute: (_args, _ctx, signal) =>
      new Promise((resolve) => signal.addEventListener('abort', () => resolve({ content: 'stopped early' }))),
  });

describe('agent loop', () => {
  it('streams text as accumulated assistant events and ends with stop', async () => {
    server.enqueue({ type: 'reply', text: ['Hel', 'lo', '!'], usage: { input: 10, output: 3 } });
    const { events, result } = await drain(start({ system: 'You are terse.' }));
    expect(streams(events)).toEqual([
      'lifecycle:start',
      'assistant:',
      'assistant:',
      'assistant:',
      'usage:',
      'lifecycle:end',
    ]);
    expect(events.filter((e) => e.stream === 'assistant').map((e) => e.data)).toEqual([
      { text: 'Hel', delta: 'Hel' },
      { text: 'Hello', delta: 'lo' },
      { text: 'Hello!', delta: '!' },
    ]);
    expect(events.at(-1)?.data).toMatchObject({ phase: 'end', aborted: false, stopReason: 'stop' });
    expect(result).toMatchObject({
      stopReason: 'stop',
      text: 'Hello!',
      toolRounds: 0,
      model: 'p/m',
      provider: 'p',
    });
    expect(result.newMessages).toMatchObject([
      { role: 'assistant', content: [{ type: 'text', text: 'Hello!' }], stopReason: 'stop', model: 'p/m' },
    ]);
    expect(sent(0)[0]).toEqual({ role: 'system', content: 'You are terse.' });
  });

  it('runs a tool call, sends the result back and returns the final answer', async () => {
    const calls: unknown[] = [];
    server.enqueue(
      {
        type: 'reply',
        text: 'Let me echo.',
        toolCalls: [{ id: 'c1', name: 'echo', args: { text: 'ab', times: 2 } }],
      },
      { type: 'reply', text: 'It said abab.' },
    );
    const { events, result } = await drain(start({ tools: [echoTool(calls)] }));
    expect(calls).toEqual([
      {
        args: { text: 'ab', times: 2 },
        ctx: { runId: 'run-1', sessionKey: 'agent:main:main', agentId: 'main', toolCallId: 'c1' },
      },
    ]);
    expect(events.filter((e) => e.stream === 'tool').map((e) => e.data)).toEqual([
      { phase: 'start', name: 'echo', toolCallId: 'c1', args: { text: 'ab', times: 2 } },
      { phase: 'result', name: 'echo', toolCallId: 'c1', isError: false, result: 'abab' },
    ]);
    expect(result.newMessages.map((m) => m.role)).toEqual(['assistant', 'toolResult', 'assistant']);
    expect(result).toMatchObject({ stopReason: 'stop', text: 'It said abab.', toolRounds: 1 });
    expect(sent(1).slice(-2)).toMatchObject([
      { role: 'assistant', content: 'Let me echo.' },
      { role: 'tool', content: 'abab' },
    ]);
    expect(server.requests[0]!.body.tools).toMatchObject([{ type: 'function', function: { name: 'echo' } }]);
  });

  it('returns invalid arguments to the model as an error result without running the tool', async () => {
    const calls: unknown[] = [];
    server.enqueue(
      {
        type: 'reply',
        toolCalls: [
          { id: 'bad1', name: 'echo', args: { text: 5 } },
          { id: 'bad2', name: 'echo', args: '{"text": "unterminated' },
          { id: 'ok', name: 'echo', args: { text: 'z' } },
        ],
      },
      { type: 'reply', text: 'Fixed.' },
    );
    const { result } = await drain(start({ tools: [echoTool(calls)] }));
    expect(calls).toEqual([expect.objectContaining({ args: { text: 'z', times: 1 } })]);
    const results = result.newMessages.filter((m) => m.role === 'toolResult');
    expect(results.map((m) => [m.toolCallId, m.isError])).toEqual([
      ['bad1', true],
      ['bad2', true],
      ['ok', false],
    ]);
    expect(results[0]!.content[0]!.text).toBe(
      "Invalid arguments for tool 'echo': at /text: must be string. Fix the arguments and call the tool again.",
    );
    expect(results[1]!.content[0]!.text).toContain('expected a JSON object');
    expect(JSON.stringify(sent(1))).toContain('at /text: must be string');
  });

  it('retries a 429 (honouring retry-after) inside a run', async () => {
    const { rt, delays } = setup();
    server.enqueue({ type: 'error', status: 429, retryAfter: 2 }, { type: 'reply', text: 'ok' });
    const run = runAgent({
      runId: 'r',
      sessionKey: 's',
      agentId: 'a',
      messages: [userMessage('hi', 1)],
      stream: rt,
      model: 'p/m',
    });
    const { events, result } = await drain(run);
    expect(delays).toEqual([2000]);
    expect(events.find((e) => e.stream === 'model')?.data).toMatchObject({
      phase: 'retry',
      next: 'same',
      delayMs: 2000,
    });
    expect(result).toMatchObject({ stopReason: 'stop', text: 'ok' });
  });

  it('keeps the partial reply on abort and marks it aborted', async () => {
    server.enqueue({ type: 'reply', text: ['Once upon', ' a time', ' never sent'], stallAfter: 2 });
    const ctrl = new AbortController();
    const run = start({ signal: ctrl.signal });
    const events: AgentEvent[] = [];
    for await (const ev of run) {
      events.push(ev);
      if (ev.stream === 'assistant' && ev.data.text === 'Once upon a time') ctrl.abort();
    }
    const result = await run.result;
    expect(result.stopReason).toBe('aborted');
    expect(result.newMessages).toMatchObject([
      { role: 'assistant', content: [{ type: 'text', text: 'Once upon a time' }], stopReason: 'aborted' },
    ]);
    expect(events.at(-1)?.data).toMatchObject({ phase: 'end', aborted: true, stopReason: 'aborted' });
  });

  it('stops with timeout when the model goes silent or the run deadline passes', async () => {
    server.enqueue({ type: 'reply', text: ['half'], stallAfter: 1 });
    const idle = await drain(start({ idleTimeoutMs: 500 }));
    expect(idle.result.stopReason).toBe('timeout');
    expect(idle.result.newMessages).toMatchObject([{ content: [{ text: 'half' }], stopReason: 'timeout' }]);

    const waits = waitTool();
    server.enqueue({ type: 'reply', toolCalls: [{ id: 'w', name: 'wait', args: {} }] });
    const deadline = await drain(start({ tools: [waits], runTimeoutMs: 1500 }));
    expect(deadline.result.stopReason).toBe('timeout');
    expect(deadline.result.newMessages.map((m) => m.role)).toEqual(['assistant', 'toolResult', 'assistant']);
    expect(deadline.result.newMessages.at(-2)).toMatchObject({ content: [{ text: 'stopped early' }] });
    expect(deadline.result.newMessages.at(-1)).toEqual({
      role: 'assistant',
      content: [],
      timestamp: expect.any(Number),
      stopReason: 'timeout',
      model: 'p/m',
      provider: 'p',
    });
    expect(deadline.events.at(-1)?.data).toMatchObject({
      phase: 'end',
      aborted: true,
      stopReason: 'timeout',
    });
  });

  it('closes a run aborted while a tool runs with an empty aborted assistant message', async () => {
    const waits = waitTool();
    server.enqueue({ type: 'reply', text: 'Waiting.', toolCalls: [{ id: 'w', name: 'wait', args: {} }] });
    const ctrl = new AbortController();
    const run = start({ tools: [waits], signal: ctrl.signal });
    const events: AgentEvent[] = [];
    for await (const ev of run) {
      events.push(ev);
      if (ev.stream === 'tool' && ev.data.phase === 'start') ctrl.abort();
    }
    const result = await run.result;
    expect(result.stopReason).toBe('aborted');
    expect(result.newMessages).toMatchObject([
      { role: 'assistant', stopReason: 'toolUse' },
      { role: 'toolResult', toolCallId: 'w', content: [{ text: 'stopped early' }] },
      { role: 'assistant', content: [], stopReason: 'aborted', model: 'p/m' },
    ]);
    expect(result.newMessages.at(-1)).not.toHaveProperty('usage');
    // The run's text is still what the model said; the closing message adds none.
    expect(result.text).toBe('Waiting.');
    expect(server.requests).toHaveLength(1);
    expect(events.at(-1)?.data).toMatchObject({ phase: 'end', aborted: true, stopReason: 'aborted' });
  });

  it('does not wait for a tool that ignores the abort: the run ends after the grace period', async () => {
    let finished = false;
    const stubborn = defineTool({
      name: 'stubborn',
      description: 'Ignores the signal',
      parameters: Type.Object({}),
      execute: () =>
        new Promise((resolve) =>
          setTimeout(() => {
            finished = true;
            resolve({ content: 'too late' });
          }, TOOL_ABORT_GRACE_MS + 20_000).unref(),
        ),
    });
    server.enqueue({ type: 'reply', toolCalls: [{ id: 's', name: 'stubborn', args: {} }] });
    const ctrl = new AbortController();
    const run = start({ tools: [stubborn], signal: ctrl.signal });
    for await (const ev of run) if (ev.stream === 'tool' && ev.data.phase === 'start') ctrl.abort();
    const result = await run.result;
    expect(result.stopReason).toBe('aborted');
    expect(finished).toBe(false);
    expect(result.newMessages.at(-2)).toMatchObject({ role: 'toolResult', isError: true });
    expect(messageText(result.newMessages.at(-2)!)).toMatch(/was stopped: the run was aborted/);
    expect(result.newMessages.at(-1)).toMatchObject({
      role: 'assistant',
      content: [],
      stopReason: 'aborted',
    });
  });

  it('stops after maxToolRounds, answering the calls it did not run', async () => {
    server.enqueue(
      { type: 'reply', toolCalls: [{ id: 'a', name: 'echo', args: { text: '1' } }] },
      { type: 'reply', toolCalls: [{ id: 'b', name: 'echo', args: { text: '2' } }] },
    );
    const { result } = await drain(start({ tools: [echoTool()], maxToolRounds: 1 }));
    expect(result.stopReason).toBe('tool_rounds');
    expect(result.newMessages.at(-2)).toMatchObject({
      role: 'toolResult',
      toolCallId: 'b',
      isError: true,
      content: [{ text: 'Not run: the limit of 1 tool rounds per run was reached.' }],
    });
    // The run does not end on a tool result: an empty assistant message closes it.
    expect(result.newMessages.at(-1)).toMatchObject({
      role: 'assistant',
      content: [],
      stopReason: 'tool_rounds',
    });
    expect(server.requests).toHaveLength(2);
  });

  it('lets hooks block, rewrite and replace tool calls; a throwing tool becomes an error result', async () => {
    const boom = defineTool({
      name: 'boom',
      description: 'Fails',
      parameters: Type.Object({}),
      execute: async () => {
        throw new Error('disk on fire');
      },
    });
    server.enqueue(
      {
        type: 'reply',
        toolCalls: [
          { id: 'x', name: 'echo', args: { text: 'rm -rf' } },
          { id: 'y', name: 'echo', args: { text: 'safe' } },
          { id: 'z', name: 'boom', args: {} },
        ],
      },
      { type: 'reply', text: 'done' },
    );
    const { result } = await drain(
      start({
        tools: [echoTool(), boom],
        beforeToolCall: async (call) =>
          call.args.text === 'rm -rf'
            ? { block: 'not allowed here' }
            : call.name === 'echo'
              ? { args: { text: 'SAFE', times: 1 } }
              : undefined,
        afterToolCall: async (call, output) =>
          call.name === 'echo' ? { content: `${String(output.content)}!` } : undefined,
      }),
    );
    const texts = result.newMessages.flatMap((m) =>
      m.role === 'toolResult' ? [[m.toolCallId, m.isError, m.content[0]!.text]] : [],
    );
    expect(texts).toEqual([
      ['x', true, 'Tool call blocked: not allowed here'],
      ['y', false, 'SAFE!'],
      ['z', true, "Tool 'boom' failed: disk on fire"],
    ]);
    expect(result.stopReason).toBe('stop');
  });

  it('delivers steered messages at the tool boundary', async () => {
    let pending: AgentMessage[] = [userMessage('also say hi to Bob', 5)];
    server.enqueue(
      { type: 'reply', toolCalls: [{ id: 'a', name: 'echo', args: { text: 'x' } }] },
      { type: 'reply', text: 'Hi Bob' },
    );
    const { result } = await drain(
      start({
        tools: [echoTool()],
        takeSteered: () => {
          const out = pending;
          pending = [];
          return out.filter((m) => m.role === 'user');
        },
      }),
    );
    expect(result.newMessages.map((m) => m.role)).toEqual(['assistant', 'toolResult', 'user', 'assistant']);
    expect(sent(1).at(-1)).toEqual({ role: 'user', content: 'also say hi to Bob' });
  });

  it('lets observe see every message the model is given, in order (input, replies, tool results, steered)', async () => {
    let pending: AgentMessage[] = [userMessage('steered', 5)];
    const seen: string[] = [];
    server.enqueue(
      { type: 'reply', toolCalls: [{ id: 'a', name: 'echo', args: { text: 'x' } }] },
      { type: 'reply', text: 'done' },
    );
    await drain(
      start({
        text: 'first',
        tools: [echoTool()],
        observe: (m) => seen.push(`${m.role}:${messageText(m)}`),
        takeSteered: () => {
          const out = pending;
          pending = [];
          return out.filter((m) => m.role === 'user');
        },
      }),
    );
    expect(seen).toEqual(['user:first', 'assistant:', 'toolResult:x', 'user:steered', 'assistant:done']);
  });

  it('ends with an error lifecycle event when the model fails, without throwing', async () => {
    server.enqueue({ type: 'error', status: 404, message: 'model not found' });
    const { events, result } = await drain(start());
    expect(result.stopReason).toBe('error');
    expect(result.error).toEqual({ kind: 'bad_request', message: 'p/m (HTTP 404): model not found' });
    expect(result.newMessages).toMatchObject([
      {
        role: 'assistant',
        content: [],
        stopReason: 'error',
        errorMessage: 'p/m (HTTP 404): model not found',
      },
    ]);
    expect(events.at(-1)?.data).toMatchObject({
      phase: 'error',
      stopReason: 'error',
      errorKind: 'bad_request',
    });
  });

  it('sums usage and cost exactly over every call of the run', async () => {
    server.enqueue(
      {
        type: 'reply',
        toolCalls: [{ name: 'echo', args: { text: 'a' } }],
        usage: { input: 1234, output: 56 },
      },
      {
        type: 'reply',
        toolCalls: [{ name: 'echo', args: { text: 'b' } }],
        usage: { input: 1500, output: 70 },
      },
      { type: 'reply', text: 'ok', usage: { input: 1777, output: 9 } },
    );
    const { events, result } = await drain(start({ tools: [echoTool()] }));
    expect(events.filter((e) => e.stream === 'usage')).toHaveLength(3);
    expect(result.usage).toEqual({ input: 4511, output: 135, cacheRead: 0, cacheWrite: 0 });
    expect(result.cost).toEqual({
      input: 0.013533,
      output: 0.002025,
      cacheRead: 0,
      cacheWrite: 0,
      total: 0.015558,
    });
  });

  it('scrubs API keys from tool results, events and what goes back to the model', async () => {
    const leaky = defineTool({
      name: 'env',
      description: 'Print the environment',
      parameters: Type.Object({}),
      execute: async () => ({ content: { OPENAI_API_KEY: KEY, HOME: '/home/u' } }),
    });
    server.enqueue(
      { type: 'reply', toolCalls: [{ name: 'env', args: {} }] },
      { type: 'reply', text: 'done' },
    );
    const { events, result } = await drain(start({ tools: [leaky] }));
    const toolText = result.newMessages.find((m) => m.role === 'toolResult')?.content[0]?.text;
    expect(toolText).toContain('"OPENAI_API_KEY": "[REDACTED]"');
    expect(JSON.stringify(events)).not.toContain(KEY);
    expect(JSON.stringify(result)).not.toContain(KEY);
    expect(JSON.stringify(server.requests[1]!.body)).not.toContain(KEY);
  });
});
