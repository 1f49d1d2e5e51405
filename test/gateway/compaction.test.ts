import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTranscript } from '../../src/sessions/index.js';
import { fakeModels } from '../fakes/fake-model-config.js';
import { type FakeModelServer, startFakeModelServer } from '../fakes/fake-model-server.js';
import { startGateway } from '../helpers/gateway-harness.js';
import { connectedClient } from '../helpers/ws-client.js';

let fake: FakeModelServer;
beforeAll(async () => {
  fake = await startFakeModelServer();
});
afterAll(() => fake.close());

describe('compaction', () => {
  it('near the window: a memory-flush turn, then a summary entry; the next request carries the summary, not the old turns', async () => {
    const h = await startGateway({
      models: fakeModels(fake, { contextWindow: 2000 }),
      agents: {
        defaults: {
          model: 'fake/m',
          compaction: { thresholdRatio: 0.5, keepRecentTokens: 200, memoryFlush: true },
        },
      },
    });
    try {
      const c = await connectedClient(h.url, h.token);
      for (let i = 0; i < 8; i++) {
        await c.request('chat.inject', {
          sessionKey: 'main',
          role: i % 2 ? 'assistant' : 'user',
          message: `OLD-${i} ${'x'.repeat(600)}`,
        });
      }
      const before = fake.requests.length;
      fake.enqueue(
        { type: 'reply', text: 'noted' }, // the memory-flush turn
        { type: 'reply', text: 'SUMMARY-OF-OLD-TURNS' }, // the summary
        { type: 'reply', text: 'fresh answer' }, // the real turn
      );
      await c.request('chat.send', { sessionKey: 'main', message: 'next question', idempotencyKey: 'cmp-1' });
      await c.waitFor(
        (f) =>
          f.event === 'chat' &&
          (f.payload as { state: string; runId: string }).runId === 'cmp-1' &&
          (f.payload as { state: string }).state === 'final',
        10_000,
      );
      const sent = fake.requests.slice(before).map((r) => JSON.stringify(r.body));
      expect(sent).toHaveLength(3);
      expect(sent[0]).toMatch(/memory/i); // the flush prompt asks the agent to save notes
      expect(sent[1]).toContain('OLD-0'); // the summarizer sees the old turns …
      expect(sent[2]).toContain('SUMMARY-OF-OLD-TURNS'); // … the real turn sees the summary instead
      expect(sent[2]).not.toContain('OLD-0');
      expect(sent[2]).toContain('next question');

      const dir = join(h.stateDir, 'agents', 'main', 'sessions');
      const file = (await readdir(dir)).find((f) => f.endsWith('.jsonl'))!;
      const { entries } = await loadTranscript(join(dir, file));
      const compaction = entries.find((e) => e.type === 'compaction');
      expect(compaction).toMatchObject({ type: 'compaction', summary: 'SUMMARY-OF-OLD-TURNS' });
      // The transcript keeps everything.
      expect(
        entries.filter(
          (e) => e.type === 'message' && String((e as { content: unknown }).content).startsWith('OLD-'),
        ),
      ).toHaveLength(8);
      c.close();
    } finally {
      await h.cleanup();
    }
  });

  it('/compact compacts on demand and says how much it saved', async () => {
    const h = await startGateway({
      models: fakeModels(fake, { contextWindow: 100_000 }),
      agents: { defaults: { model: 'fake/m', compaction: { keepRecentTokens: 10, memoryFlush: false } } },
    });
    try {
      const c = await connectedClient(h.url, h.token);
      for (let i = 0; i < 4; i++)
        await c.request('chat.inject', {
          sessionKey: 'main',
          role: i % 2 ? 'assistant' : 'user',
          message: `T${i} ${'y'.repeat(400)}`,
        });
      fake.enqueue({ type: 'reply', text: 'SHORT SUMMARY' });
      await c.request('chat.send', {
        sessionKey: 'main',
        message: '/compact focus on decisions',
        idempotencyKey: 'cmp-2',
      });
      const end = await c.waitFor(
        (f) =>
          f.event === 'chat' &&
          (f.payload as { runId: string; state: string }).runId === 'cmp-2' &&
          (f.payload as { state: string }).state !== 'delta',
        10_000,
      );
      expect(end.payload).toMatchObject({ state: 'final' });
      expect(JSON.stringify((end.payload as { message: unknown }).message)).toMatch(
        /Compacted the conversation: about \d+ → \d+ tokens/,
      );
      expect(JSON.stringify(fake.requests.at(-1)?.body)).toContain('focus on decisions');
      // The same over the control plane.
      await c.request('chat.inject', {
        sessionKey: 'main',
        role: 'user',
        message: `more ${'z'.repeat(400)}`,
      });
      await c.request('chat.inject', {
        sessionKey: 'main',
        role: 'assistant',
        message: `reply ${'z'.repeat(400)}`,
      });
      fake.enqueue({ type: 'reply', text: 'SECOND SUMMARY' });
      const res = await c.request('sessions.compact', { key: 'main' });
      expect(res.payload).toMatchObject({ ok: true, key: 'agent:main:main' });
      expect((res.payload as { text: string }).text).toMatch(/Compacted the conversation/);
      c.close();
    } finally {
      await h.cleanup();
    }
  });
});
