import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeModelConfig } from '../fakes/fake-model-config.js';
import { type FakeModelServer, startFakeModelServer } from '../fakes/fake-model-server.js';
import { startGateway } from '../helpers/gateway-harness.js';
import { connectedClient } from '../helpers/ws-client.js';

let fake: FakeModelServer;
beforeAll(async () => {
  fake = await startFakeModelServer();
});
afterAll(() => fake.close());

describe('idempotent retries under load (REL-04, quick size)', () => {
  for (const method of ['chat.send', 'agent'] as const) {
    it(`1,000 ${method} calls with one key from 10 connections make exactly one run`, async () => {
      const h = await startGateway({
        ...fakeModelConfig(fake, { contextWindow: 10_000 }),
      });
      try {
        const before = fake.requests.length;
        fake.enqueue({ type: 'reply', text: 'the one answer' });
        const clients = await Promise.all(Array.from({ length: 10 }, () => connectedClient(h.url, h.token)));
        const key = `load-${method}`;
        const params =
          method === 'agent'
            ? { message: 'hello', idempotencyKey: key }
            : { sessionKey: 'main', message: 'hello', idempotencyKey: key };
        const responses = await Promise.all(
          Array.from({ length: 1000 }, (_, i) => clients[i % 10]!.request(method, params, `r-${i}`)),
        );
        expect(responses.every((r) => r.ok)).toBe(true);
        const statuses = new Set(responses.map((r) => (r.payload as { status: string }).status));
        for (const s of statuses) expect(['started', 'accepted', 'in_flight', 'ok']).toContain(s);
        expect(new Set(responses.map((r) => (r.payload as { runId: string }).runId))).toEqual(new Set([key]));
        // Wait for the run to finish, then every retry gets the same final answer.
        await clients[0]!.waitFor(
          (f) => f.event === 'chat' && (f.payload as { state: string }).state === 'final',
          10_000,
        );
        await new Promise((r) => setTimeout(r, 50));
        const retries = await Promise.all(
          Array.from({ length: 20 }, (_, i) => clients[i % 10]!.request(method, params, `again-${i}`)),
        );
        const finals = retries.map((r) => JSON.stringify(r.payload));
        expect(new Set(finals).size).toBe(1);
        expect(fake.requests.length - before).toBe(1);
        const history = (await clients[0]!.request('chat.history', { sessionKey: 'main' })).payload as {
          messages: { role: string }[];
        };
        expect(history.messages.filter((m) => m.role === 'user')).toHaveLength(1);
        for (const c of clients) c.close();
      } finally {
        await h.cleanup();
      }
    });
  }
});
