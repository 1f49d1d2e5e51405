import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeModels } from '../../../test/fakes/fake-model-config.js';
import { type FakeModelServer, startFakeModelServer } from '../../../test/fakes/fake-model-server.js';
import { type AgentMessage, userMessage } from '../../agent/index.js';
import { validateConfig } from '../../config/index.js';
import { createModelRuntime } from '../../models/index.js';
import { type MessageEntry, SessionStore } from '../../sessions/index.js';
import { type CompactInput, maybeCompact } from './compact.js';

const KEY = 'agent:main:dm:compact';
let server: FakeModelServer;
let dir: string;
// The provider package is loaded with the first model call (not with the gateway): load it before the
// short deadlines below, so they time the model's silence and not the module loading.
beforeAll(async () => {
  await import('@ai-sdk/openai');
});
beforeEach(async () => {
  server = await startFakeModelServer();
  dir = await mkdtemp(join(tmpdir(), 'carapace-compact-'));
});
afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const conversation: AgentMessage[] = [
  userMessage('first question', 1),
  { role: 'assistant', content: [{ type: 'text', text: 'first answer' }], timestamp: 2, stopReason: 'stop' },
  userMessage('second question', 3),
];

/** A forced compaction of a short conversation against the fake model, with `memoryFlush` as given. */
async function setup(memoryFlush: boolean, extra: Partial<CompactInput> = {}) {
  const r = validateConfig({
    models: fakeModels(server, { contextWindow: 100_000, retry: { maxRetries: 0 } }),
    agents: { defaults: { model: 'fake/m', compaction: { keepRecentTokens: 0, memoryFlush } } },
  });
  if (!r.ok) throw new Error('invalid test config');
  const store = new SessionStore({ agentId: 'main', dir });
  await store.ensureSession(KEY);
  const input: CompactInput = {
    config: r.config,
    store,
    runtime: createModelRuntime({ models: r.config.models }),
    sessionKey: KEY,
    agentId: 'main',
    runId: 'run-1',
    model: 'fake/m',
    fallbacks: [],
    system: 'sys',
    messages: conversation,
    ids: conversation.map(() => undefined),
    force: true,
    tools: [],
    secrets: () => [],
    signal: new AbortController().signal,
    date: '2030-01-02',
    ...extra,
  };
  return { store, input };
}

describe('maybeCompact under the turn deadline', () => {
  it('a model that goes silent while summarizing is stopped when the turn runs out of time', async () => {
    server.enqueue({ type: 'stall' });
    const { input } = await setup(false, { timeoutMs: 200 });
    const out = await maybeCompact(input);
    expect(out.compacted).toBe(false);
    expect(out.error).toMatch(/ran out of the turn's time \(200 ms left\)/);
    expect(out.messages).toEqual(conversation);
    expect(server.requests).toHaveLength(1);
  });

  it("the memory-flush turn gets the turn's idle timeout and is recorded as timed out", async () => {
    server.enqueue({ type: 'stall' });
    const { store, input } = await setup(true, { timeoutMs: 60_000, idleTimeoutMs: 100 });
    const out = await maybeCompact(input);
    expect(out.compacted).toBe(false);
    expect(out.error).toBe('the memory flush was stopped');
    const entries = (await store.loadTranscript(KEY)).entries as MessageEntry[];
    expect(entries.at(-1)).toMatchObject({ role: 'assistant', runId: 'run-1', stopReason: 'timeout' });
  });

  it("an abort of the turn still stops compaction, with the turn's reason", async () => {
    server.enqueue({ type: 'stall' });
    const ctrl = new AbortController();
    const { input } = await setup(false, { signal: ctrl.signal, timeoutMs: 60_000 });
    const pending = maybeCompact(input);
    while (server.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    ctrl.abort(new Error('interrupted'));
    const out = await pending;
    expect(out.compacted).toBe(false);
    expect(out.error).not.toMatch(/turn's time/);
  });

  it('with time left, compaction completes as before', async () => {
    server.enqueue({ type: 'reply', text: 'the summary' });
    const { input } = await setup(false, { timeoutMs: 60_000 });
    const out = await maybeCompact(input);
    expect(out.compacted).toBe(true);
    expect(out.error).toBeUndefined();
    expect(JSON.stringify(out.messages)).toContain('the summary');
  });
});
