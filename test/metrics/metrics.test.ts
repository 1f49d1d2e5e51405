/**
 * `GET /metrics` on a real gateway (in process) with the fake model server and the fake Telegram Bot API:
 * each metric is read before and after the event that should move it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeModelConfig } from '../fakes/fake-model-config.js';
import { type FakeModelServer, startFakeModelServer } from '../fakes/fake-model-server.js';
import { FakeTelegram } from '../fakes/fake-telegram.js';
import { type Harness, startGateway } from '../helpers/gateway-harness.js';
import { connectedClient, type TestClient } from '../helpers/ws-client.js';

const ALICE = { id: 42001, first_name: 'Alice' };

let model: FakeModelServer;
let telegram: FakeTelegram;
let h: Harness;
let client: TestClient;

/** The exposition text, parsed: `name{labels}` → value. */
async function scrape(token = h.token): Promise<Map<string, number>> {
  const res = await fetch(`${h.url.replace('ws', 'http')}/metrics`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const out = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}
const value = (m: Map<string, number>, series: string) => m.get(series) ?? 0;

/** Poll until `check` holds on a fresh scrape (the run path finishes after the reply is sent). */
async function until(check: (m: Map<string, number>) => boolean, what: string): Promise<Map<string, number>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const m = await scrape();
    if (check(m)) return m;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  model = await startFakeModelServer();
  telegram = await FakeTelegram.start();
  h = await startGateway({
    ...fakeModelConfig(model, {
      apiKey: 'sk-metrics',
      contextWindow: 100_000,
      cost: { input: 1, output: 2 },
      retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 10 },
    }),
    session: { reset: { mode: 'off' } },
    channels: {
      telegram: {
        accounts: {
          default: {
            botToken: telegram.token,
            apiRoot: telegram.apiRoot,
            dmPolicy: 'allowlist',
            allowFrom: [String(ALICE.id)],
          },
        },
      },
    },
  });
  client = await connectedClient(h.url, h.token);
}, 60_000);

afterAll(async () => {
  client?.close();
  await h?.cleanup();
  await telegram?.close();
  await model?.close();
});

describe('GET /metrics', () => {
  it('answers 401 without the gateway token, with a wrong one, and 405 for POST', async () => {
    const url = `${h.url.replace('ws', 'http')}/metrics`;
    const none = await fetch(url);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await none.text()).not.toContain('carapace_');
    const wrong = await fetch(url, { headers: { authorization: 'Bearer not-the-token' } });
    expect(wrong.status).toBe(401);
    const post = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${h.token}` } });
    expect(post.status).toBe(405);
  });

  it('counts a chat.send run, its model call, tokens and cost', async () => {
    const before = await scrape();
    model.enqueue({ type: 'reply', text: 'hi there', usage: { input: 1000, output: 500 } });
    const res = await client.request('chat.send', {
      sessionKey: 'main',
      message: 'hello',
      idempotencyKey: 'metrics-1',
    });
    expect(res.ok).toBe(true);
    const finished = 'carapace_runs_finished_total{method="chat.send",status="ok"}';
    const after = await until((m) => value(m, finished) > value(before, finished), 'the run to finish');
    const counters = [
      'carapace_runs_accepted_total{method="chat.send"}',
      'carapace_runs_started_total{method="chat.send"}',
      'carapace_run_duration_seconds_count{method="chat.send"}',
      'carapace_model_calls_total{provider="fake",model="m",outcome="ok"}',
      'carapace_model_call_duration_seconds_count{provider="fake",model="m"}',
    ];
    for (const s of counters) expect(value(after, s), s).toBe(value(before, s) + 1);
    const tokens = (d: string) => `carapace_model_tokens_total{provider="fake",model="m",direction="${d}"}`;
    expect(value(after, tokens('input')) - value(before, tokens('input'))).toBe(1000);
    expect(value(after, tokens('output')) - value(before, tokens('output'))).toBe(500);
    // 1,000 input tokens at $1/M and 500 output at $2/M.
    const cost = 'carapace_model_cost_usd_total{provider="fake",model="m"}';
    expect(value(after, cost) - value(before, cost)).toBeCloseTo(0.002, 9);
  });

  it('counts a failed run and a failed model call', async () => {
    const before = await scrape();
    model.enqueue({ type: 'error', status: 500, message: 'boom' });
    await client.request('chat.send', { sessionKey: 'main', message: 'fail', idempotencyKey: 'metrics-2' });
    const failed = 'carapace_runs_failed_total{method="chat.send",status="error"}';
    const after = await until((m) => value(m, failed) > value(before, failed), 'the failed run');
    expect(value(after, 'carapace_runs_finished_total{method="chat.send",status="error"}')).toBe(
      value(before, 'carapace_runs_finished_total{method="chat.send",status="error"}') + 1,
    );
    const call = 'carapace_model_calls_total{provider="fake",model="m",outcome="server"}';
    expect(value(after, call)).toBe(value(before, call) + 1);
  });

  it('shows running and queued messages in the lanes while a turn is stuck', async () => {
    // The second message gets no scripted reply: the abort below drops it, or it fails with the fake's 500.
    model.enqueue({ type: 'stall' });
    const asked = model.requests.length;
    await client.request('chat.send', { sessionKey: 'main', message: 'stuck', idempotencyKey: 'metrics-3' });
    await client.request('chat.send', { sessionKey: 'main', message: 'waits', idempotencyKey: 'metrics-4' });
    const busy = await until(
      (m) =>
        value(m, 'carapace_lane_queue_depth{state="running"}') === 1 &&
        value(m, 'carapace_lane_queue_depth{state="queued"}') === 1,
      'one running and one queued message',
    );
    expect(value(busy, 'carapace_lanes')).toBe(1);
    // Abort only once the stalled request reached the model, so the stall is used up.
    while (model.requests.length <= asked) await new Promise((r) => setTimeout(r, 10));
    expect((await client.request('chat.abort', { sessionKey: 'main' })).ok).toBe(true);
    await until(
      (m) =>
        value(m, 'carapace_lane_queue_depth{state="running"}') === 0 &&
        value(m, 'carapace_lane_queue_depth{state="queued"}') === 0,
      'the lanes to drain',
    );
  });

  it('counts WebSocket connections and frames in and out', async () => {
    const before = await scrape();
    const extra = await connectedClient(h.url, h.token);
    await extra.request('health');
    const open = await scrape();
    expect(value(open, 'carapace_ws_connections')).toBe(value(before, 'carapace_ws_connections') + 1);
    // connect + health in; challenge, hello and the health answer out (at least).
    expect(value(open, 'carapace_ws_frames_total{direction="in"}')).toBeGreaterThanOrEqual(
      value(before, 'carapace_ws_frames_total{direction="in"}') + 2,
    );
    expect(value(open, 'carapace_ws_frames_total{direction="out"}')).toBeGreaterThanOrEqual(
      value(before, 'carapace_ws_frames_total{direction="out"}') + 3,
    );
    extra.close();
    await extra.closed;
    await until(
      (m) => value(m, 'carapace_ws_connections') === value(before, 'carapace_ws_connections'),
      'the connection to close',
    );
  });

  it('counts channel messages in, chunks out, delivery retries and failures', async () => {
    const labels = '{channel="telegram",account="default"}';
    const before = await scrape();
    model.enqueue({ type: 'reply', text: 'hello Alice' });
    telegram.userMessage({ from: ALICE, text: 'hi bot' });
    await telegram.waitFor(() => telegram.inChat(ALICE.id).length > 0, 'the reply to Alice');
    const answered = await until(
      (m) =>
        value(m, `carapace_channel_chunks_sent_total${labels}`) >
        value(before, `carapace_channel_chunks_sent_total${labels}`),
      'the chunk to be counted',
    );
    expect(value(answered, `carapace_channel_messages_received_total${labels}`)).toBe(
      value(before, `carapace_channel_messages_received_total${labels}`) + 1,
    );
    expect(value(answered, 'carapace_runs_finished_total{method="channel",status="ok"}')).toBe(
      value(before, 'carapace_runs_finished_total{method="channel",status="ok"}') + 1,
    );

    // A 429 with retry_after 0 is retried at once; a 400 fails the chunk.
    telegram.script('sendMessage', { status: 429, retryAfter: 0 });
    const retried = await client.request('send', {
      to: String(ALICE.id),
      message: 'one',
      idempotencyKey: 's1',
    });
    expect(retried.ok).toBe(true);
    telegram.script('sendMessage', { status: 400, description: 'Bad Request: chat not found' });
    await client.request('send', { to: String(ALICE.id), message: 'two', idempotencyKey: 's2' });
    const after = await scrape();
    expect(value(after, `carapace_channel_delivery_retries_total${labels}`)).toBe(
      value(before, `carapace_channel_delivery_retries_total${labels}`) + 1,
    );
    expect(value(after, `carapace_channel_delivery_failures_total${labels}`)).toBe(
      value(before, `carapace_channel_delivery_failures_total${labels}`) + 1,
    );
  });

  it('shows event-loop delay after the loop was blocked', async () => {
    const end = Date.now() + 400;
    while (Date.now() < end) {
      // Block the event loop the gateway runs on (it is in this process).
    }
    const m = await until(
      (s) => value(s, 'carapace_event_loop_delay_max_seconds') >= 0.3,
      'the blocked loop to show in the next sample',
    );
    expect(value(m, 'carapace_event_loop_utilization')).toBeGreaterThan(0);
    expect(value(m, 'carapace_process_resident_memory_bytes')).toBeGreaterThan(1_000_000);
  });
});
