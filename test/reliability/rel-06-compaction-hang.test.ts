/**
 * REL-06, a hang past the run deadline inside compaction: a model that goes silent while the gateway
 * compacts a session (`/compact`, or automatically before a turn) is stopped by the turn's idle timeout
 * and deadline like any other model call, instead of holding the session's lane until the lane watchdog
 * (30 s past the deadline). Each case shows it by what is recorded and answered, not by timing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MessageEntry } from '../../src/sessions/index.js';
import { fakeModels } from '../fakes/fake-model-config.js';
import { type FakeModelServer, startFakeModelServer } from '../fakes/fake-model-server.js';
import { type Harness, startGateway } from '../helpers/gateway-harness.js';
import { connectedClient, type TestClient } from '../helpers/ws-client.js';

const KEY = 'agent:main:dm:compacting';
let fake: FakeModelServer | undefined;
let h: Harness | undefined;
let c: TestClient | undefined;
afterEach(async () => {
  c?.close();
  await h?.cleanup();
  await fake?.close();
});

/** A gateway with a 4 s deadline and 1 s idle timeout (the lane watchdog is at 34 s). */
async function start(compaction: Record<string, unknown>): Promise<void> {
  fake = await startFakeModelServer();
  h = await startGateway({
    models: fakeModels(fake, { contextWindow: 100_000, retry: { maxRetries: 0 } }),
    agents: {
      defaults: {
        model: 'fake/m',
        timeoutSeconds: 4,
        idleTimeoutSeconds: 1,
        compaction: { keepRecentTokens: 0, ...compaction },
      },
    },
    tools: { profile: 'minimal' },
    session: { reset: { mode: 'off' } },
  });
  c = await connectedClient(h.url, h.token);
}

let n = 0;
/** Send a message and resolve with its final answer. */
async function ask(message: string): Promise<{ status: string; summary?: string; text: string }> {
  const id = `ask-${++n}`;
  const res = await c!.request('agent', { message, sessionKey: KEY, idempotencyKey: id }, id);
  expect(res.ok, JSON.stringify(res.error)).toBe(true);
  const final = await c!.waitFor(
    (f) => f.id === id && (f.payload as { status?: string }).status !== 'accepted',
    45_000,
  );
  const p = final.payload as { status: string; summary?: string; result?: { payloads: { text: string }[] } };
  return { ...p, text: (p.result?.payloads ?? []).map((x) => x.text).join('') };
}

async function transcript(): Promise<MessageEntry[]> {
  const history = await c!.request('chat.history', { sessionKey: KEY, limit: 100 });
  return (history.payload as { messages: MessageEntry[] }).messages;
}

describe('REL-06: a model hanging during compaction', () => {
  it('/compact: the memory-flush turn stops on the idle timeout; the next message is answered', async () => {
    await start({});
    fake!.enqueue({ type: 'reply', text: 'one' }, { type: 'reply', text: 'two' });
    expect((await ask('first')).text).toBe('one');
    expect((await ask('second')).text).toBe('two');
    fake!.enqueue({ type: 'stall' });
    const compact = await ask('/compact');
    expect(compact).toMatchObject({ status: 'error', summary: 'the memory flush was stopped' });
    // The flush turn ended on its own idle timeout (the lane watchdog would have recorded 'aborted').
    const flushEnd = (await transcript()).filter((m) => m.role === 'assistant').at(-2);
    expect(flushEnd?.stopReason).toBe('timeout');
    fake!.enqueue({ type: 'reply', text: 'three' });
    expect(await ask('third')).toMatchObject({ status: 'ok', text: 'three' });
  }, 120_000);

  it('automatic compaction before a turn: a silent model there does not cost the turn its answer', async () => {
    // A threshold so low that every turn with history wants compaction.
    await start({ thresholdRatio: 0.001 });
    fake!.enqueue({ type: 'reply', text: 'one' });
    expect((await ask('first')).text).toBe('one');
    // Second turn: the flush goes silent (stopped after 1 s), then the turn itself runs in the time left.
    fake!.enqueue({ type: 'stall' }, { type: 'reply', text: 'two' });
    expect(await ask('second')).toMatchObject({ status: 'ok', text: 'two' });
    expect(fake!.requests).toHaveLength(3);
  }, 120_000);

  it('/compact without a memory flush: a silent summarizer runs out of the turn’s time, and says so', async () => {
    await start({ memoryFlush: false });
    fake!.enqueue({ type: 'reply', text: 'one' }, { type: 'reply', text: 'two' });
    await ask('first');
    await ask('second');
    fake!.enqueue({ type: 'stall' });
    const compact = await ask('/compact');
    expect(compact.status).toBe('error');
    expect(compact.summary).toMatch(/compaction stopped: it ran out of the turn's time/);
    fake!.enqueue({ type: 'reply', text: 'three' });
    expect(await ask('third')).toMatchObject({ status: 'ok', text: 'three' });
  }, 120_000);
});
