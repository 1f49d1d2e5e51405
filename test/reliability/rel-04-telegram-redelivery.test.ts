/**
 * REL-04 (SECURITY-TESTS.md), the inbound part: one Telegram message (same update_id, same message_id)
 * redelivered by the Bot API 100 times makes exactly one run and one reply. One message's turn ends in a
 * provider error mid-turn (after a tool step, the model answers HTTP 500); its redeliveries continue
 * during the turn, after the error, and after a gateway restart — and still make no second run: the
 * sender sees the one error reply. A second message, answered normally, gets the same treatment.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTranscript, type MessageEntry } from '../../src/sessions/index.js';
import { type FakeModelServer, startFakeModelServer } from '../fakes/fake-model-server.js';
import { FakeTelegram } from '../fakes/fake-telegram.js';
import { type Harness, startGateway } from '../helpers/gateway-harness.js';
import { connectedClient } from '../helpers/ws-client.js';
import {
  lastUser,
  type RedeliveringProxy,
  startRedeliveringProxy,
  telegramPipelineConfig,
  until,
} from './support.js';

const ALICE = { id: 52011, first_name: 'Alice' };
const TIMES = 100;
let model: FakeModelServer;
let telegram: FakeTelegram;
let proxy: RedeliveringProxy;
let h: Harness;

beforeAll(async () => {
  model = await startFakeModelServer();
  telegram = await FakeTelegram.start();
  proxy = await startRedeliveringProxy(telegram.apiRoot);
  h = await startGateway(
    telegramPipelineConfig({
      modelBaseUrl: model.baseUrl,
      apiKey: 'sk-redeliver',
      botToken: telegram.token,
      apiRoot: proxy.apiRoot,
      allowFrom: [ALICE.id],
    }),
  );
}, 60_000);

afterAll(async () => {
  await h?.cleanup();
  await proxy?.close();
  await telegram?.close();
  await model?.close();
});

/** The gateway's Prometheus text. */
async function metrics(): Promise<string> {
  const res = await fetch(`${h.url.replace('ws', 'http')}/metrics`, {
    headers: { authorization: `Bearer ${h.token}` },
  });
  return res.text();
}

/** Inbound messages the Telegram account has taken in since the gateway started (channels.status). */
async function received(): Promise<{ received: number; duplicates: number }> {
  const c = await connectedClient(h.url, h.token);
  const res = await c.request('channels.status');
  c.close();
  const accounts = (res.payload as { channelAccounts: Record<string, { stats?: Record<string, number> }[]> })
    .channelAccounts.telegram;
  const stats = accounts?.[0]?.stats ?? {};
  return { received: stats.received ?? 0, duplicates: stats.duplicates ?? 0 };
}

/** Redeliver until the update was handed to the bot `total` times, and wait for the bot to take them. */
async function redeliverUpTo(messageId: number, total: number): Promise<void> {
  const more = total - proxy.delivered(ALICE.id, messageId);
  if (more > 0) proxy.redeliver(ALICE.id, messageId, more);
  await until(() => proxy.delivered(ALICE.id, messageId) >= total, `delivery ${total} of ${messageId}`);
}

async function userEntries(): Promise<MessageEntry[]> {
  const dir = join(h.stateDir, 'agents', 'main', 'sessions');
  const out: MessageEntry[] = [];
  for (const f of (await readdir(dir)).filter((n) => n.endsWith('.jsonl')))
    out.push(
      ...(await loadTranscript(join(dir, f))).entries.filter(
        (e): e is MessageEntry => e.type === 'message' && e.role === 'user',
      ),
    );
  return out;
}

const text = (e: MessageEntry) => JSON.stringify(e.content);

describe('REL-04: one inbound message id redelivered 100 times', () => {
  it('makes one run and one reply per message id, also after a provider error mid-turn', async () => {
    // Message A: a tool step, then the provider fails (HTTP 500, no retries): the turn ends in an error.
    model.enqueue(
      { type: 'reply', toolCalls: [{ name: 'no_such_tool', args: { why: 'a step before the failure' } }] },
      { type: 'error', status: 500, message: 'upstream exploded mid-turn' },
    );
    const a = telegram.userMessage({ from: ALICE, text: 'message A: this turn will fail' });
    await until(() => proxy.delivered(ALICE.id, a) === 1, 'the first delivery of A');
    await redeliverUpTo(a, 50); // during the turn
    await until(() => telegram.inChat(ALICE.id).length === 1, 'the error reply to A');
    expect(telegram.inChat(ALICE.id)[0]?.text).toMatch(/^⚠️ .*/);
    await redeliverUpTo(a, 98); // after the provider error

    // Message B: answered normally; redelivered while and after it runs.
    model.enqueue({ type: 'reply', text: 'the answer to B' });
    const b = telegram.userMessage({ from: ALICE, text: 'message B: answer me' });
    await until(() => proxy.delivered(ALICE.id, b) === 1, 'the first delivery of B');
    await redeliverUpTo(b, 60);
    await until(() => telegram.inChat(ALICE.id).length === 2, 'the reply to B');
    await redeliverUpTo(b, 98);
    const both = () => proxy.delivered(ALICE.id, a) + proxy.delivered(ALICE.id, b);
    expect(both()).toBe(196);
    await until(async () => (await received()).received === 196, 'the bot to take every delivery');

    const before = await metrics();
    expect(before).toMatch(/carapace_runs_accepted_total\{method="channel"\} 2\n/);
    expect(before).toMatch(/carapace_runs_started_total\{method="channel"\} 2\n/);
    expect((await received()).duplicates).toBe(194);

    // After a restart (the seen ids are persisted) the last redeliveries still start nothing.
    await h.restart();
    const atRestart = both();
    await redeliverUpTo(a, TIMES - 1);
    await redeliverUpTo(b, TIMES - 1);
    await redeliverUpTo(a, TIMES);
    await redeliverUpTo(b, TIMES);
    await until(
      async () => (await received()).received === 2 * TIMES - atRestart,
      'the bot to take them after the restart',
    );
    expect((await received()).duplicates).toBe(2 * TIMES - atRestart);
    expect(await metrics()).not.toMatch(/carapace_runs_accepted_total\{method="channel"\}/);

    // Exactly: 100 deliveries each, 1 run each (A: the tool step and the failed call; B: one call),
    // one transcript user entry each, one visible reply each.
    expect(proxy.delivered(ALICE.id, a)).toBe(TIMES);
    expect(proxy.delivered(ALICE.id, b)).toBe(TIMES);
    const calls = model.requests.map(lastUser);
    expect(calls.filter((t) => t.includes('message A'))).toHaveLength(2);
    expect(calls.filter((t) => t.includes('message B'))).toHaveLength(1);
    expect(model.pending()).toBe(0);
    const entries = await userEntries();
    expect(entries.filter((e) => text(e).includes('message A'))).toHaveLength(1);
    expect(entries.filter((e) => text(e).includes('message B'))).toHaveLength(1);
    const shown = telegram.inChat(ALICE.id).map((m) => m.text);
    expect(shown).toHaveLength(2);
    expect(shown[0]).toMatch(/^⚠️/);
    expect(shown[1]).toBe('the answer to B');
  }, 180_000);
});
