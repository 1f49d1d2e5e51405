import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTranscript } from '../../src/sessions/index.js';
import { fakeModelConfig } from '../fakes/fake-model-config.js';
import {
  type FakeModelServer,
  type RecordedRequest,
  startFakeModelServer,
} from '../fakes/fake-model-server.js';
import { tempStateDir } from '../helpers/gateway-harness.js';
import { startGatewayProcess } from '../helpers/gateway-process.js';
import { connectedClient, type TestClient } from '../helpers/ws-client.js';

/** A small seeded PRNG so a failing run can be repeated. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const SEED = 4242;
const KILLS = 20;
const SESSIONS = ['main', 'agent:main:telegram:dm:alice', 'agent:main:telegram:dm:bob'];

let fake: FakeModelServer;
beforeAll(async () => {
  fake = await startFakeModelServer();
  const answer = (req: RecordedRequest) => {
    const messages = (req.body.messages as { role: string; content: unknown }[]) ?? [];
    const last = [...messages].reverse().find((m) => m.role === 'user');
    const text = typeof last?.content === 'string' ? last.content : JSON.stringify(last?.content ?? '');
    return {
      type: 'reply' as const,
      text: ['answer ', 'to: ', text.slice(-40)],
      usage: { input: 10, output: 5 },
    };
  };
  fake.enqueue(...Array.from({ length: 5000 }, () => answer));
});
afterAll(() => fake.close());

async function transcriptsOf(stateDir: string) {
  const dir = join(stateDir, 'agents', 'main', 'sessions');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.jsonl'));
  return Promise.all(files.map(async (f) => ({ file: f, ...(await loadTranscript(join(dir, f))) })));
}

describe('crash safety: SIGKILL at random moments', () => {
  it(`every acknowledged message is answered exactly once across ${KILLS} kills (seed ${SEED})`, async () => {
    const rand = rng(SEED);
    const stateDir = await tempStateDir({
      ...fakeModelConfig(fake, {
        apiKey: 'sk-crash',
        contextWindow: 100_000,
        retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 10 },
      }),
      session: { reset: { mode: 'off' } },
    });
    const token = async () => (await readFile(join(stateDir, 'credentials', 'gateway-token'), 'utf8')).trim();
    const acked = new Set<string>();
    let sent = 0;

    for (let round = 0; round < KILLS; round++) {
      const { child, url } = await startGatewayProcess(stateDir);
      const exited = new Promise((r) => child.once('exit', r));
      let client: TestClient | undefined;
      try {
        client = await connectedClient(url, await token());
        const n = 1 + Math.floor(rand() * 4);
        const replies: Promise<unknown>[] = [];
        for (let i = 0; i < n; i++) {
          const key = `m-${round}-${i}`;
          const sessionKey = SESSIONS[Math.floor(rand() * SESSIONS.length)]!;
          sent++;
          replies.push(
            client.request('chat.send', { sessionKey, message: `message ${key}`, idempotencyKey: key }).then(
              (res) => {
                if (res.ok) acked.add(key);
              },
              () => undefined,
            ),
          );
        }
        // Kill at a random moment after the first acknowledgement: in the middle of later acks, turns,
        // model streams and transcript writes (however slow the machine is).
        await Promise.race([replies[0], new Promise((r) => setTimeout(r, 5000))]);
        await new Promise((r) => setTimeout(r, Math.floor(rand() * 250)));
      } finally {
        child.kill('SIGKILL');
        await exited;
        client?.close();
      }
    }

    // A last start: recovery replays what was accepted but never answered.
    const { child, url } = await startGatewayProcess(stateDir);
    const client = await connectedClient(url, await token());
    try {
      const deadline = Date.now() + 90_000; // generous: a loaded machine replays slowly; a fast one leaves early
      let replies = new Map<string, number>();
      let users = new Map<string, number>();
      for (;;) {
        const transcripts = await transcriptsOf(stateDir);
        replies = new Map();
        users = new Map();
        for (const t of transcripts) {
          expect(t.header?.type).toBe('session');
          for (const e of t.entries) {
            if (e.type !== 'message' || !e.runId) continue;
            // An answer is a final reply, or an explicit error reply (a message given up after crashing its turn).
            const final = e.role === 'assistant' && (e.stopReason === 'stop' || e.stopReason === 'error');
            if (e.role === 'user') users.set(e.runId, (users.get(e.runId) ?? 0) + 1);
            if (final) replies.set(e.runId, (replies.get(e.runId) ?? 0) + 1);
          }
        }
        if ([...acked].every((k) => replies.has(k)) && [...users.keys()].every((k) => replies.has(k))) break;
        if (Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(acked.size).toBeGreaterThanOrEqual(KILLS);
      for (const key of acked) {
        expect(users.get(key), `user entry of ${key}`).toBe(1);
        expect(replies.get(key), `reply to ${key}`).toBe(1);
      }
      // Nothing else changed: no message was recorded twice or answered twice, acknowledged or not.
      for (const [key, n] of users) expect(n, `user entries of ${key}`).toBe(1);
      for (const [key, n] of replies) expect(n, `replies to ${key}`).toBe(1);
      for (const key of users.keys()) expect(replies.has(key), `reply to ${key}`).toBe(true);
      expect(users.size).toBeLessThanOrEqual(sent);
      // And the gateway is healthy afterwards.
      expect((await client.request('health')).ok).toBe(true);
    } finally {
      client.close();
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }, 240_000);
});
