import Type from 'typebox';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type FakeModelServer,
  type RecordedRequest,
  startFakeModelServer,
} from '../../test/fakes/fake-model-server.js';
import { validateConfig } from '../config/index.js';
import { createModelRuntime } from '../models/index.js';
import type { AgentEvent } from './events.js';
import { runAgent } from './loop.js';
import { userMessage } from './messages.js';
import { defineTool } from './tool.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

const entry = (id: string) => ({
  id,
  contextWindow: 100_000,
  maxTokens: 500,
  cost: { input: 1, output: 4, cacheRead: 0.1, cacheWrite: 1.25 },
});

function runtime(providers: Record<string, unknown>) {
  const r = validateConfig({ models: { providers, retry: { maxRetries: 0 } } });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return createModelRuntime({
    models: r.config.models,
    env: { ANT_KEY: 'sk-ant-env-7781' },
    sleep: async () => {},
  });
}

const lookup = defineTool({
  name: 'lookup',
  description: 'Look up a city',
  parameters: Type.Object({ city: Type.String() }),
  execute: async (args) => ({ content: { city: args.city, population: 1_000 } }),
});

/** Where each wire format puts the tool result of call `id` in the follow-up request. */
function toolResultSent(req: RecordedRequest, id: string): string | undefined {
  const text = JSON.stringify(req.body);
  if (req.api === 'openai-responses')
    return text.includes(`"type":"function_call_output","call_id":"${id}"`) ? 'responses' : undefined;
  if (req.api === 'anthropic')
    return text.includes(`"type":"tool_result","tool_use_id":"${id}"`) ? 'anthropic' : undefined;
  return text.includes(`"role":"tool","tool_call_id":"${id}"`) ? 'chat' : undefined;
}

describe('agent loop over each wire format', () => {
  const cases = [
    ['openai-chat', 'chat'],
    ['openai-responses', 'responses'],
    ['anthropic', 'anthropic'],
  ] as const;

  for (const [api, shape] of cases) {
    it(`${api}: tool call → tool result → final answer, with usage and cost`, async () => {
      const rt = runtime({
        p: { api, baseUrl: server.baseUrl, apiKey: 'sk-wire-0042', models: [entry('m')] },
      });
      server.enqueue(
        {
          type: 'reply',
          text: 'Checking.',
          toolCalls: [{ id: 'call_9', name: 'lookup', args: { city: 'Oslo' } }],
          usage: { input: 100, output: 10 },
        },
        {
          type: 'reply',
          text: ['Oslo has ', '1,000 people.'],
          usage: { input: 200, output: 20, cacheRead: 1000 },
        },
      );
      const run = runAgent({
        runId: 'r',
        sessionKey: 's',
        agentId: 'main',
        messages: [userMessage('How big is Oslo?', 1)],
        tools: [lookup],
        stream: rt,
        model: 'p/m',
        system: 'Be exact.',
      });
      for await (const _ of run) {
        // drain
      }
      const result = await run.result;
      expect(result).toMatchObject({ stopReason: 'stop', text: 'Oslo has 1,000 people.', toolRounds: 1 });
      expect(result.usage).toEqual({ input: 300, output: 30, cacheRead: 1000, cacheWrite: 0 });
      expect(result.cost).toEqual({
        input: 0.0003,
        output: 0.00012,
        cacheRead: 0.0001,
        cacheWrite: 0,
        total: 0.00052,
      });
      expect(server.requests).toHaveLength(2);
      expect(toolResultSent(server.requests[1]!, 'call_9')).toBe(shape);
      expect(JSON.stringify(server.requests[1]!.body)).toContain('\\"population\\": 1000');
      expect(JSON.stringify(server.requests[0]!.body)).toContain('Be exact.');
    });
  }

  it('fails over to a second key, then to a fallback provider, and no key ever shows', async () => {
    const keys = ['sk-first-aaaa1111', 'sk-second-bbbb2222', 'sk-ant-env-7781'];
    const rt = runtime({
      oa: {
        api: 'openai-responses',
        baseUrl: server.baseUrl,
        apiKey: keys[0],
        apiKeys: [keys[1]],
        models: [entry('gpt')],
      },
      an: {
        api: 'anthropic',
        baseUrl: server.baseUrl,
        apiKey: { source: 'env', id: 'ANT_KEY' },
        models: [entry('claude')],
      },
    });
    server.enqueue(
      { type: 'error', status: 401, message: `Incorrect API key provided: ${keys[0]}` },
      { type: 'error', status: 429, message: `key ${keys[1]} is over quota`, retryAfter: 1 },
      { type: 'reply', text: 'Claude answering.' },
      { type: 'error', status: 500, message: `upstream saw ${keys[2]}` },
    );
    const events: AgentEvent[] = [];
    const run = runAgent({
      runId: 'r',
      sessionKey: 's',
      agentId: 'main',
      messages: [userMessage('hi', 1)],
      stream: rt,
      model: 'oa/gpt',
      fallbacks: ['an/claude'],
    });
    for await (const ev of run) events.push(ev);
    const ok = await run.result;
    expect(ok).toMatchObject({
      stopReason: 'stop',
      text: 'Claude answering.',
      model: 'an/claude',
      provider: 'an',
    });
    expect(
      events.filter((e) => e.stream === 'model').map((e) => ('next' in e.data ? e.data.next : '')),
    ).toEqual(['key', 'model']);
    expect(server.requests.map((r) => r.headers.authorization ?? r.headers['x-api-key'])).toEqual([
      `Bearer ${keys[0]}`,
      `Bearer ${keys[1]}`,
      keys[2],
    ]);

    const failing = runAgent({
      runId: 'r2',
      sessionKey: 's',
      agentId: 'main',
      messages: [userMessage('again', 2)],
      stream: rt,
      model: 'an/claude',
    });
    for await (const ev of failing) events.push(ev);
    const failed = await failing.result;
    expect(failed.stopReason).toBe('error');
    const everything = JSON.stringify([events, ok, failed]);
    for (const key of keys) expect(everything).not.toContain(key);
    expect(everything).toContain('[REDACTED]');
  });
});
