/**
 * REL-06: per-session ordering and lane liveness. A real gateway and the fake model server; S sessions ×
 * M messages (100 × 20; REL06_SESSIONS=1000 for the full size) sent from 32 WebSocket clients in a seeded
 * random interleaving: each message goes out on a random client once the previous message of its session
 * was acknowledged (that ack is the send order). The model answers after 0–200 ms; 5 % of the messages
 * fail on purpose: a 500 on every attempt, a connection dropped mid-reply, a model that goes silent (idle
 * timeout), one that trickles on past the run deadline, and a turn whose sub-agent hangs past its deadline.
 * Pass bar: every session's messages reach the model and the transcript in send order; the model never has
 * two requests of one session at once and the gateway never starts a turn of a session before the last one
 * ended; every message gets a final answer (ok, or the error/timeout its failure calls for) and every hung
 * sub-agent is reported back as timed out; at the end no lane has work left and one more message to every
 * session (sub-agent sessions included) is answered.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTranscript, type MessageEntry } from '../../src/sessions/index.js';
import { lastUser as lastUserOf } from '../agents/harness.js';
import { fakeModels } from '../fakes/fake-model-config.js';
import {
  type FakeModelServer,
  type RecordedRequest,
  type ScriptedReply,
  startFakeModelServer,
} from '../fakes/fake-model-server.js';
import { type Harness, startGateway } from '../helpers/gateway-harness.js';
import { connectedClient, type Frame, type TestClient } from '../helpers/ws-client.js';
import { envInt, rng, until } from './support.js';

const SESSIONS = envInt(process.env.REL06_SESSIONS, 100);
const MESSAGES = envInt(process.env.REL06_MESSAGES, 20);
const CLIENTS = envInt(process.env.REL06_CLIENTS, 32);
const SEED = envInt(process.env.REL06_SEED, 6006);
const FAILURE_RATE = 0.05;
/** error: a 500 on every attempt · reset: the connection dropped mid-reply · idle: headers, then silence ·
 * silent: not even headers · deadline: a reply trickling on past the run deadline · subagent: the turn
 * spawns a sub-agent whose model trickles on past the sub-agent deadline · waits: the turn spawns such a
 * sub-agent, then waits for its reply to a question (sessions_send) until its own deadline stops it. */
const KINDS = ['error', 'reset', 'idle', 'silent', 'deadline', 'subagent', 'waits'] as const;
type Kind = 'ok' | (typeof KINDS)[number];
/** What the final answer of a message with each kind of failure says (status, and stopReason on record). */
const EXPECTED: Record<Kind, [string, string]> = {
  ok: ['ok', 'stop'],
  subagent: ['ok', 'stop'],
  error: ['error', 'error'],
  reset: ['error', 'error'],
  idle: ['timeout', 'timeout'],
  silent: ['timeout', 'timeout'],
  deadline: ['timeout', 'timeout'],
  waits: ['timeout', 'timeout'],
};

const keyOf = (s: number) => `agent:main:dm:rel06-${s}`;
const runIdOf = (s: number, m: number) => `rel06-${SEED}-s${s}-m${m}`;
const tagOf = (s: number, m: number) => `[rel06 s=${s} m=${m}]`;
const answerOf = (s: number, m: number) => `ack s=${s} m=${m}`;
const subtaskOf = (s: number, m: number) => `Subtask for session ${s} message ${m}: wait for a signal.`;
const questionOf = (s: number, m: number) => `Hung question for session ${s} message ${m}: any news?`;

const lastOf = (req: RecordedRequest) =>
  (req.body.messages as { role: string; content?: unknown }[] | undefined)?.at(-1);
const lastRole = (req: RecordedRequest) => lastOf(req)?.role;
const lastToolResult = (req: RecordedRequest) => JSON.stringify(lastOf(req)?.content ?? '');

/** What a model request is for, from the last marker in its last user message. */
type Target =
  | { what: 'message'; s: number; m: number }
  | { what: 'announce'; s: number; m: number; text: string }
  | { what: 'hung'; s: number; m: number }
  | { what: 'child'; key: string };

const MARKERS =
  /\[rel06 s=(\d+) m=(\d+)\]|\[rel06 child=([^\]]+)\]|\[Sub-agent [^\n]*?session (\d+) message (\d+)|(?:Subtask|Hung question) for session (\d+) message (\d+)/g;

function targetOf(req: RecordedRequest): Target {
  const text = lastUserOf(req);
  const last = [...text.matchAll(MARKERS)].at(-1);
  if (!last) throw new Error(`a model request the test did not send: ${text.slice(0, 200)}`);
  if (last[1]) return { what: 'message', s: Number(last[1]), m: Number(last[2]) };
  if (last[3]) return { what: 'child', key: last[3] };
  if (last[4]) return { what: 'announce', s: Number(last[4]), m: Number(last[5]), text };
  return { what: 'hung', s: Number(last[6]), m: Number(last[7]) };
}

/** The lane a request belongs to (a sub-agent works in its own session). */
const laneOf = (t: Target) =>
  t.what === 'child' ? t.key : t.what === 'hung' ? `sub:${t.s}:${t.m}` : `s${t.s}`;

/** Separate streams, so the plan and the interleaving do not depend on the order requests arrive in. */
const planRand = rng(SEED);
const orderRand = rng(SEED + 1);
const pickRand = rng(SEED + 2);
const latencyRand = rng(SEED + 3);
function shuffle<T>(items: T[], rand: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
/** The seeded failure plan: 5 % of the messages, the kinds dealt out in turn over a shuffled pick. */
const plan = new Map<string, Kind>();
{
  const all = shuffle(
    Array.from({ length: SESSIONS * MESSAGES }, (_, n) => n),
    planRand,
  );
  const failures = Math.max(KINDS.length, Math.round(all.length * FAILURE_RATE));
  all.slice(0, failures).forEach((n, i) => {
    plan.set(runIdOf(Math.floor(n / MESSAGES), n % MESSAGES), KINDS[i % KINDS.length]!);
  });
}
const kindOf = (s: number, m: number): Kind => plan.get(runIdOf(s, m)) ?? 'ok';

// What the fake model saw.
const lanes = new WeakMap<RecordedRequest, string>();
const modelOrder = new Map<number, number[]>();
const overlaps: string[] = [];
const announces: Target[] = [];

function reply(req: RecordedRequest): ScriptedReply {
  const target = targetOf(req);
  const lane = laneOf(target);
  lanes.set(req, lane);
  const twin = fake.inFlight().find((r) => r !== req && lanes.get(r) === lane);
  if (twin) overlaps.push(`${lane}: ${lastUserOf(twin).slice(-40)} / ${lastUserOf(req).slice(-40)}`);
  const delayMs = Math.floor(latencyRand() * 201);
  const trickle: ScriptedReply = { type: 'reply', text: Array(400).fill('.'), chunkDelayMs: 250 };
  if (target.what === 'hung') return trickle;
  if (target.what === 'child') return { type: 'reply', text: 'child ok', delayMs };
  if (target.what === 'announce') {
    announces.push(target);
    return { type: 'reply', text: 'noted', delayMs };
  }
  const { s, m } = target;
  const seen = modelOrder.get(s) ?? [];
  if (seen.at(-1) !== m) seen.push(m); // a retry or a tool round of the same turn
  modelOrder.set(s, seen);
  const text = answerOf(s, m);
  switch (kindOf(s, m)) {
    case 'error':
      return { type: 'error', status: 500, message: 'injected provider failure', delayMs };
    case 'reset':
      return { type: 'reply', text: ['partial ', text], resetAfter: 1, delayMs };
    case 'idle':
      return { type: 'stall', delayMs };
    case 'silent':
      return { type: 'stall', delayMs: 600_000 };
    case 'deadline':
      return trickle;
    case 'subagent':
    case 'waits': {
      const spawn = { name: 'sessions_spawn', args: { task: subtaskOf(s, m) } };
      if (lastRole(req) !== 'tool') return { type: 'reply', toolCalls: [spawn], delayMs };
      const child = /agent:main:subagent:[0-9a-f-]{36}/.exec(lastToolResult(req))?.[0];
      if (kindOf(s, m) === 'subagent' || !child) return { type: 'reply', text, delayMs };
      const ask = { sessionKey: child, message: questionOf(s, m), timeoutSeconds: 600 };
      return { type: 'reply', toolCalls: [{ name: 'sessions_send', args: ask }], delayMs };
    }
    default:
      return { type: 'reply', text: [text.slice(0, 4), text.slice(4)], delayMs };
  }
}

let fake: FakeModelServer;
let h: Harness;
let clients: TestClient[] = [];

beforeAll(async () => {
  fake = await startFakeModelServer();
  for (let n = SESSIONS * (MESSAGES + 2) * 3 + 1000; n > 0; n--) fake.enqueue(reply);
  h = await startGateway({
    models: fakeModels(fake, {
      apiKey: 'sk-rel06',
      contextWindow: 200_000,
      retry: { maxRetries: 1, baseDelayMs: 10, maxDelayMs: 100 },
    }),
    // Deadlines short enough to hit on purpose, long enough that a turn on this shared, loaded machine
    // (one event loop for the gateway, the model and 32 clients) never hits them by accident.
    agents: { defaults: { model: 'fake/m', maxConcurrent: 32, timeoutSeconds: 15, idleTimeoutSeconds: 8 } },
    agentToAgent: { subagents: { timeoutSeconds: 5, maxConcurrent: 100, maxChildrenPerSession: 20 } },
    tools: { profile: 'minimal', allow: ['group:sessions'] },
    // Room for a whole session's messages, so none is folded into another (folding is tested elsewhere).
    messages: { queue: { cap: MESSAGES + 10 } },
    session: { reset: { mode: 'off' } },
  });
  clients = await Promise.all(Array.from({ length: CLIENTS }, () => connectedClient(h.url, h.token)));
  // One turn first, so modules a turn loads on first use are loaded before the clock of any measured turn.
  const warm = await clients[0]!.request('agent', {
    message: '[rel06 child=warm-up]',
    sessionKey: 'agent:main:dm:rel06-warm-up',
    idempotencyKey: 'warm-up',
  });
  expect(warm.ok).toBe(true);
  await clients[0]!.request('agent.wait', { runId: 'warm-up', timeoutMs: 30_000 });
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await h?.cleanup();
  await fake?.close();
});

// What the clients saw: acks and finals by request id; on client 0, turn starts and ends per session.
const acks = new Map<string, Frame>();
const finals = new Map<string, Frame>();
const ackWaiters = new Map<string, () => void>();
const openTurn = new Map<string, string>();
const turnOverlaps: string[] = [];

function observe(client: TestClient, watchTurns: boolean): void {
  client.ws.on('message', (data) => {
    const text = data.toString();
    if (!watchTurns && !text.includes('"type":"res"')) return;
    const f = JSON.parse(text) as Frame;
    const p = (f.payload ?? {}) as Record<string, unknown>;
    if (f.type === 'res' && f.id?.startsWith('rel06-')) {
      if (f.ok && p.status === 'accepted') {
        acks.set(f.id, f);
        ackWaiters.get(f.id)?.();
      } else finals.set(f.id, f);
      if (!f.ok) ackWaiters.get(f.id)?.(); // refused outright: no ack will come
    }
    if (!watchTurns || f.type !== 'event') return;
    const key = String(p.sessionKey);
    const data2 = p.data as { phase?: string } | undefined;
    if (f.event === 'agent' && p.stream === 'lifecycle' && data2?.phase === 'start') {
      if (openTurn.has(key)) turnOverlaps.push(`${key}: ${openTurn.get(key)} and ${String(p.runId)}`);
      openTurn.set(key, String(p.runId));
    } else if (f.event === 'chat' && p.state !== 'delta' && openTurn.get(key) === p.runId) {
      openTurn.delete(key);
    }
  });
}

/** Send one `agent` message on `client`; resolve once it is acknowledged (or refused). */
function send(client: TestClient, id: string, sessionKey: string, message: string): Promise<void> {
  const acked = new Promise<void>((resolve) => ackWaiters.set(id, resolve));
  client.send({ type: 'req', id, method: 'agent', params: { message, sessionKey, idempotencyKey: id } });
  return acked.then(() => {
    ackWaiters.delete(id);
  });
}

/** Every session's messages in a seeded random interleaving that keeps each session's own order. */
function schedule(): { s: number; m: number }[] {
  const slots = shuffle(
    Array.from({ length: SESSIONS * MESSAGES }, (_, n) => n % SESSIONS),
    orderRand,
  );
  const next = new Array<number>(SESSIONS).fill(0);
  return slots.map((s) => ({ s, m: next[s]!++ }));
}

/**
 * Wait for `total` final answers. No new one for a minute (the longest injected failure takes 15 s)
 * means something is stuck: fail, naming the lane state and the first messages without an answer.
 */
async function waitForFinals(total: number): Promise<void> {
  let last = -1;
  let since = Date.now();
  while (finals.size < total) {
    if (finals.size !== last) [last, since] = [finals.size, Date.now()];
    if (Date.now() - since > 60_000) {
      const missing = [...acks.keys()].filter((id) => !finals.has(id)).slice(0, 5);
      const state = JSON.stringify(await laneState());
      throw new Error(`stuck at ${finals.size}/${total} final answers, lanes ${state}; waiting: ${missing}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sessions with work, running turns and waiting messages, from the gateway's `/metrics`. */
async function laneState(): Promise<{ lanes: number; running: number; queued: number }> {
  const res = await fetch(`${h.url.replace('ws', 'http')}/metrics`, {
    headers: { authorization: `Bearer ${h.token}` },
  });
  const text = await res.text();
  const value = (re: RegExp) => Number(re.exec(text)?.[1]);
  return {
    lanes: value(/^carapace_lanes (\S+)$/m),
    running: value(/^carapace_lane_queue_depth\{state="running"\} (\S+)$/m),
    queued: value(/^carapace_lane_queue_depth\{state="queued"\} (\S+)$/m),
  };
}

async function transcripts(): Promise<Map<string, MessageEntry[]>> {
  const dir = join(h.stateDir, 'agents', 'main', 'sessions');
  const out = new Map<string, MessageEntry[]>();
  for (const f of (await readdir(dir)).filter((n) => n.endsWith('.jsonl'))) {
    const t = await loadTranscript(join(dir, f));
    const entries = t.entries.filter((e): e is MessageEntry => e.type === 'message');
    if (t.header) out.set(t.header.sessionKey, [...(out.get(t.header.sessionKey) ?? []), ...entries]);
  }
  return out;
}

describe(`REL-06: ordering and lane liveness (${SESSIONS} sessions × ${MESSAGES} messages, ${CLIENTS} clients)`, () => {
  it(
    'keeps every session in send order, one turn at a time, answers everything and wedges no lane',
    async () => {
      clients.forEach((c, i) => {
        observe(c, i === 0);
      });
      const prune = setInterval(() => {
        for (const c of clients) c.frames.length = 0;
      }, 500);
      try {
        // 1. The interleaved run.
        const items = schedule();
        const acked = new Map<number, Promise<void>>();
        let cursor = 0;
        const worker = async () => {
          while (cursor < items.length) {
            const { s, m } = items[cursor++]!;
            const client = clients[Math.floor(pickRand() * clients.length)]!;
            // The send order of a session: each message goes out once the previous one is acknowledged.
            const previous = acked.get(s);
            const sent = (async () => {
              await previous;
              await send(client, runIdOf(s, m), keyOf(s), `${tagOf(s, m)} hello number ${m}`);
            })();
            acked.set(s, sent);
            await sent;
          }
        };
        await Promise.all(clients.map(() => worker()));
        const total = SESSIONS * MESSAGES;
        await waitForFinals(total);

        // 2. Every message answered, as its failure (or none) calls for; the sends were all accepted.
        const wrong: string[] = [];
        const mix = new Map<string, number>();
        for (let s = 0; s < SESSIONS; s++) {
          for (let m = 0; m < MESSAGES; m++) {
            const id = runIdOf(s, m);
            const kind = kindOf(s, m);
            mix.set(kind, (mix.get(kind) ?? 0) + 1);
            const f = finals.get(id);
            const p = (f?.payload ?? {}) as { status?: string; result?: { payloads?: { text: string }[] } };
            const text = (p.result?.payloads ?? []).map((x) => x.text).join('');
            const ok = acks.has(id) && f?.ok && p.status === EXPECTED[kind][0];
            if (!ok || (p.status === 'ok' && text !== answerOf(s, m)))
              wrong.push(`${id} (${kind}): ${JSON.stringify(f?.error ?? p).slice(0, 200)}`);
          }
        }
        expect(wrong.slice(0, 10), `${wrong.length} messages answered wrongly`).toEqual([]);
        for (const kind of KINDS) expect(mix.get(kind), kind).toBeGreaterThan(0);

        // 3. Every hung sub-agent reported back to its session as timed out.
        const spawned = [...plan.values()].filter((k) => k === 'subagent' || k === 'waits').length;
        await until(() => announces.length >= spawned, `${spawned} sub-agent reports`, 60_000);
        expect(announces.every((a) => a.what === 'announce' && a.text.includes('timed out'))).toBe(true);
        expect(new Set(announces.map((a) => laneOf(a) + (a as { m: number }).m)).size).toBe(spawned);

        // 4. No wedged lane: nothing queued or running, and one more message to every session is answered.
        await until(async () => (await laneState()).lanes === 0, 'every lane to drain', 30_000);
        const list = await clients[0]!.request('sessions.list', { limit: 1000, search: ':subagent:' });
        const keys = (list.payload as { sessions: { key: string }[] }).sessions.map((r) => r.key);
        const children = keys.filter((k) => k.includes(':subagent:'));
        expect(children).toHaveLength(spawned);
        const last = [
          ...Array.from({ length: SESSIONS }, (_, s) => ({ id: runIdOf(s, MESSAGES), key: keyOf(s), s })),
          ...children.map((key, i) => ({ id: `rel06-${SEED}-child-${i}`, key, s: -1 })),
        ];
        await Promise.all(
          last.map(({ id, key, s }, i) =>
            send(
              clients[i % clients.length]!,
              id,
              key,
              s < 0 ? `[rel06 child=${key}]` : `${tagOf(s, MESSAGES)} last`,
            ),
          ),
        );
        await until(() => last.every(({ id }) => finals.has(id)), 'the answers to the last messages', 60_000);
        const unanswered = last.filter(
          ({ id }) => (finals.get(id)?.payload as { status?: string })?.status !== 'ok',
        );
        expect(unanswered.map((u) => u.key)).toEqual([]);
        expect(await laneState()).toEqual({ lanes: 0, running: 0, queued: 0 });

        // 5. Order: the model and the transcript saw each session's messages in send order, one turn at a time;
        // the transcript records how each turn ended.
        const inOrder = Array.from({ length: MESSAGES + 1 }, (_, m) => m);
        const outOfOrder: string[] = [];
        const stored = await transcripts();
        for (let s = 0; s < SESSIONS; s++) {
          const seen = modelOrder.get(s) ?? [];
          if (seen.join() !== inOrder.join()) outOfOrder.push(`model s${s}: ${seen.join()}`);
          const entries = stored.get(keyOf(s)) ?? [];
          const users = entries
            .filter((e) => e.role === 'user' && e.runId?.startsWith(`rel06-${SEED}-s${s}-`))
            .map((e) => Number(/ m=(\d+)\]/.exec(String(e.content))?.[1]));
          if (users.join() !== inOrder.join()) outOfOrder.push(`transcript s${s}: ${users.join()}`);
          for (let m = 0; m < MESSAGES; m++) {
            const turn = entries.filter((e) => e.runId === runIdOf(s, m));
            const end = turn.at(-1);
            const recorded = end?.role === 'assistant' ? end.stopReason : `${end?.role} entry`;
            if (recorded !== EXPECTED[kindOf(s, m)][1])
              wrong.push(`${runIdOf(s, m)} (${kindOf(s, m)}) on record: ${end?.role} ${recorded}`);
            // A turn stopped during a tool call: the call's result (here sessions_send's "stopped while
            // waiting"), then the empty assistant message that closes the turn with its stopReason.
            if (kindOf(s, m) === 'waits') {
              const tool = turn.at(-2);
              const status = JSON.stringify(tool?.content).match(/"status\W+(\w+)/)?.[1];
              if (tool?.role !== 'tool' || status !== 'aborted')
                wrong.push(`${runIdOf(s, m)} (waits) before its end: ${tool?.role} ${status}`);
            }
          }
        }
        expect(wrong.slice(0, 10), `${wrong.length} turns recorded wrongly`).toEqual([]);
        const violations = {
          outOfOrder: outOfOrder.slice(0, 5),
          twoModelRequestsOfOneSession: overlaps.slice(0, 5),
          twoTurnsOfOneSession: turnOverlaps.slice(0, 5),
          turnsNeverEnded: [...openTurn.keys()].slice(0, 5),
        };
        const counts = `${outOfOrder.length} out of order, ${overlaps.length} + ${turnOverlaps.length} overlaps`;
        expect(violations, counts).toEqual({
          outOfOrder: [],
          twoModelRequestsOfOneSession: [],
          twoTurnsOfOneSession: [],
          turnsNeverEnded: [],
        });
        console.log(
          `REL-06: ${SESSIONS}×${MESSAGES} over ${CLIENTS} clients, seed ${SEED}; failures ${JSON.stringify(Object.fromEntries(mix))}; ${fake.requests.length} model requests`,
        );
      } finally {
        clearInterval(prune);
      }
    },
    300_000 + SESSIONS * MESSAGES * 200,
  );
});
