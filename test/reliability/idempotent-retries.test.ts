/**
 * 1,000 retries of one `agent` request (same idempotency key) — most while its run is in flight, spread
 * over ten connections, the rest after a gateway restart — produce exactly one run: one model call, one
 * user entry and one reply in the transcript, one accepted run in the metrics, and every retry answered
 * with that run.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTranscript, type MessageEntry } from '../../src/sessions/index.js';
import { fakeModelConfig } from '../fakes/fake-model-config.js';
import { type FakeModelServer, startFakeModelServer } from '../fakes/fake-model-server.js';
import { type Harness, startGateway } from '../helpers/gateway-harness.js';
import { connectedClient, type Frame, type TestClient } from '../helpers/ws-client.js';
import { envInt, lastUser, until } from './support.js';

const RETRIES = envInt(process.env.RELIABILITY_RETRIES, 1000);
const KEY = 'retry-me-once';
const PARAMS = { message: 'the one message', sessionKey: 'agent:main:dm:retrier', idempotencyKey: KEY };

let model: FakeModelServer;
let h: Harness;

beforeAll(async () => {
  model = await startFakeModelServer();
  h = await startGateway({
    ...fakeModelConfig(model, { apiKey: 'sk-retry', contextWindow: 100_000 }),
    session: { reset: { mode: 'off' } },
  });
}, 60_000);
afterAll(async () => {
  await h?.cleanup();
  await model?.close();
});

/** Send `n` retries on `client` at once; resolve with every response (ack or final) to them. */
async function retries(client: TestClient, n: number, tag: string): Promise<Frame[]> {
  const ids = Array.from({ length: n }, (_, i) => `${tag}-${i}`);
  for (const id of ids) client.send({ type: 'req', id, method: 'agent', params: PARAMS });
  await until(
    () => ids.every((id) => client.frames.some((f) => f.type === 'res' && f.id === id)),
    `${tag} answers`,
  );
  return client.frames.filter((f) => f.type === 'res' && ids.includes(f.id ?? ''));
}

describe('reliability: idempotent retries', () => {
  it(`${RETRIES} retries of one agent request make exactly one run`, async () => {
    model.enqueue({ type: 'reply', text: ['one ', 'answer'] });
    const before = RETRIES - Math.floor(RETRIES / 4);
    const clients = await Promise.all(Array.from({ length: 10 }, () => connectedClient(h.url, h.token)));
    const first = await Promise.all(clients.map((c, k) => retries(c, Math.floor(before / 10), `a${k}`)));
    const finals = (frames: Frame[]) =>
      frames.filter((f) => f.ok && (f.payload as { status?: string }).status === 'ok');
    for (const frames of first) {
      for (const f of frames) {
        expect(f.ok, JSON.stringify(f.error)).toBe(true);
        expect((f.payload as { runId: string }).runId).toBe(KEY);
      }
    }
    // One request started the run (its ack says accepted); every other one was told of that run.
    const statuses = first.flat().map((f) => (f.payload as { status?: string }).status);
    expect(statuses.filter((s) => s === 'accepted')).toHaveLength(1);
    expect(statuses.every((s) => s === 'accepted' || s === 'in_flight' || s === 'ok')).toBe(true);
    // Wait for the run to finish, then restart: the rest are answered from the persisted record.
    const probe = clients[0]!;
    const wait = await probe.request('agent.wait', { runId: KEY, timeoutMs: 20_000 });
    expect(wait.ok).toBe(true);
    const scrape = () =>
      fetch(`${h.url.replace('ws', 'http')}/metrics`, {
        headers: { authorization: `Bearer ${h.token}` },
      }).then((r) => r.text());
    expect(await scrape()).toMatch(/carapace_runs_accepted_total\{method="agent"\} 1\n/);
    for (const c of clients) c.close();
    await h.restart();
    const after = await connectedClient(h.url, h.token);
    const rest = await retries(after, RETRIES - Math.floor(before / 10) * 10, 'b');
    expect(rest.length).toBeGreaterThanOrEqual(RETRIES - Math.floor(before / 10) * 10);
    for (const f of rest) {
      expect(f.ok).toBe(true);
      expect(f.payload).toMatchObject({ runId: KEY, status: 'ok' });
    }
    expect(finals(rest).length).toBe(rest.length);

    // Exactly one run: one model call, one user entry and one reply, one accepted run.
    expect(model.requests.filter((r) => lastUser(r).includes('the one message'))).toHaveLength(1);
    const dir = join(h.stateDir, 'agents', 'main', 'sessions');
    const entries: MessageEntry[] = [];
    for (const f of (await readdir(dir)).filter((n) => n.endsWith('.jsonl')))
      entries.push(
        ...(await loadTranscript(join(dir, f))).entries.filter(
          (e): e is MessageEntry => e.type === 'message',
        ),
      );
    expect(entries.filter((e) => e.runId === KEY && e.role === 'user')).toHaveLength(1);
    expect(entries.filter((e) => e.runId === KEY && e.role === 'assistant')).toHaveLength(1);
    // After the restart no run was accepted at all: the retries were answered from the record.
    expect(await scrape()).not.toMatch(/carapace_runs_accepted_total\{method="agent"\}/);
    after.close();
  }, 300_000);
});
