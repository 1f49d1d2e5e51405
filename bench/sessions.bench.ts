// Session figures: lane overhead per message, `sessions.list` over 10,000 sessions, `chat.history` on a
// 100,000-line transcript, and the gateway's RSS after 10,000 sessions were touched.
// Run with `npm run bench -- sessions` (builds first).
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LaneManager, SessionStore } from '../src/sessions/index.js';
import {
  type BenchClient,
  firstHealth,
  fmt,
  freePort,
  percentile,
  rssKb,
  startGatewayProcess,
  stopProcess,
  tempDir,
} from './lib.js';

const SESSIONS = 10_000;
const HISTORY_LINES = 100_000;
const LANE_MESSAGES = 100_000;
const BIG_KEY = 'agent:main:dm:history';

const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;

/** µs per message through a LaneManager whose run does nothing: one lane in sequence, then 1,000 at once. */
async function laneOverhead(): Promise<{ sequentialUs: number; concurrentUs: number }> {
  const lanes = new LaneManager<number, undefined>({
    run: async () => undefined,
    queue: { drop: 'old', cap: 1000 },
  });
  for (let i = 0; i < 10_000; i++) await lanes.submit('warm', i).outcome;
  let t0 = performance.now();
  for (let i = 0; i < LANE_MESSAGES; i++) await lanes.submit('one', i).outcome;
  const sequentialUs = ((performance.now() - t0) * 1000) / LANE_MESSAGES;
  const outcomes: Promise<unknown>[] = [];
  t0 = performance.now();
  for (let i = 0; i < LANE_MESSAGES; i++) outcomes.push(lanes.submit(`k${i % 1000}`, i).outcome);
  await Promise.all(outcomes);
  const concurrentUs = ((performance.now() - t0) * 1000) / LANE_MESSAGES;
  await lanes.stop();
  return { sequentialUs, concurrentUs };
}

/** 10,000 sessions made with the store itself, plus one whose transcript has 100,000 message lines. */
async function seedState(stateDir: string): Promise<void> {
  const store = new SessionStore({ agentId: 'main', dir: join(stateDir, 'agents', 'main', 'sessions') });
  for (let start = 0; start < SESSIONS; start += 500) {
    const batch: Promise<unknown>[] = [];
    for (let i = start; i < Math.min(SESSIONS, start + 500); i++) {
      batch.push(store.ensureSession(`agent:main:telegram:dm:${100_000 + i}`, { label: `user ${i}` }));
    }
    await Promise.all(batch);
  }
  const { entry } = await store.ensureSession(BIG_KEY);
  await store.flush();
  // The transcript format: a header line (written by the store) then one JSON object per line.
  const file = store.transcriptPath(entry.sessionId);
  let parentId: string | null = null;
  const lines: string[] = [];
  const ts = Date.now() - HISTORY_LINES * 1000;
  for (let i = 0; i < HISTORY_LINES; i++) {
    const id = `m${i}`;
    const role = i % 2 === 0 ? 'user' : 'assistant';
    const content = `${role === 'user' ? 'question' : 'answer'} number ${i}: ${'lorem ipsum '.repeat(8)}`;
    lines.push(JSON.stringify({ type: 'message', id, parentId, ts: ts + i * 1000, role, content }));
    parentId = id;
    if (lines.length === 10_000) await appendFile(file, `${lines.splice(0).join('\n')}\n`);
  }
}

async function timeCalls(
  client: BenchClient,
  method: string,
  params: unknown,
  n: number,
): Promise<{ first: number; p50: number; p99: number }> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await client.call(method, params);
    times.push(performance.now() - t0);
    if (!res.ok) throw new Error(`${method} failed: ${JSON.stringify(res)}`);
  }
  return { first: times[0] ?? Number.NaN, p50: percentile(times, 50), p99: percentile(times, 99) };
}

export async function benchSessions(): Promise<Record<string, string>> {
  const lane = await laneOverhead();

  const stateDir = await tempDir();
  const t0 = performance.now();
  await seedState(stateDir);
  const seedMs = performance.now() - t0;
  const port = await freePort();
  const child = startGatewayProcess(stateDir, port);
  const client = await firstHealth(stateDir, port);
  await new Promise((r) => setTimeout(r, 1000));
  const rssStart = await rssKb(child.pid ?? 0);

  const list100 = await timeCalls(client, 'sessions.list', { limit: 100 }, 50);
  const list1000 = await timeCalls(client, 'sessions.list', { limit: 1000 }, 20);
  const search = await timeCalls(client, 'sessions.list', { search: 'dm:1099', limit: 100 }, 20);
  const history = await timeCalls(client, 'chat.history', { sessionKey: BIG_KEY, limit: 50 }, 100);
  const history1000 = await timeCalls(client, 'chat.history', { sessionKey: BIG_KEY, limit: 1000 }, 20);
  const rssListed = await rssKb(child.pid ?? 0);

  // Touch every session: one chat.inject each (a durable append and an index save), 50 at a time.
  const injectStart = performance.now();
  for (let start = 0; start < SESSIONS; start += 50) {
    const batch: Promise<unknown>[] = [];
    for (let i = start; i < start + 50; i++) {
      batch.push(
        client.call('chat.inject', { sessionKey: `agent:main:telegram:dm:${100_000 + i}`, message: 'ping' }),
      );
    }
    await Promise.all(batch);
  }
  const injectMs = performance.now() - injectStart;
  await new Promise((r) => setTimeout(r, 1000));
  const rssTouched = await rssKb(child.pid ?? 0);
  const indexBytes = (await readFile(join(stateDir, 'agents', 'main', 'sessions', 'sessions.json'))).length;
  client.close();
  await stopProcess(child);

  const calls = (r: { first: number; p50: number; p99: number }) =>
    `first ${fmt(r.first)}, then p50 ${fmt(r.p50, 2)} / p99 ${fmt(r.p99, 2)}`;
  return {
    'lane overhead, one lane in sequence (100k messages)': `${lane.sequentialUs.toFixed(2)} µs per message`,
    'lane overhead, 1,000 lanes at once (100k messages)': `${lane.concurrentUs.toFixed(2)} µs per message`,
    'seeding 10,001 sessions with SessionStore': `${(seedMs / 1000).toFixed(1)} s (+ a 100,000-line transcript)`,
    'sessions.list limit 100 (10,001 sessions)': calls(list100),
    'sessions.list limit 1000': calls(list1000),
    'sessions.list search (10,001 sessions)': calls(search),
    'chat.history limit 50 (100,000-line transcript)': calls(history),
    'chat.history limit 1000': calls(history1000),
    'chat.inject into 10,000 sessions (50 in flight)': `${(injectMs / SESSIONS).toFixed(2)} ms per message, ${(SESSIONS / (injectMs / 1000)).toFixed(0)} per second (sessions.json ${(indexBytes / 2 ** 20).toFixed(1)} MB)`,
    'gateway RSS: started / after list+history / after touching 10,000 sessions': `${mb(rssStart)} / ${mb(rssListed)} / ${mb(rssTouched)}`,
  };
}
