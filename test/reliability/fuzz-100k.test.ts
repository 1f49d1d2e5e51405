/**
 * 100,000 random, malformed and hostile frames at the control plane of a gateway process
 * (`carapace gateway run`): 1,000 before authentication (a fresh socket each) and the rest pipelined over
 * authenticated connections, in batches with a `health` barrier. Zero crashes: the process stays up, every
 * well-formed request on a connection that stayed open gets exactly one response, and a fresh client is
 * served afterwards. RELIABILITY_FRAMES changes the total, RELIABILITY_SEED the sequence.
 */
import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempStateDir } from '../helpers/gateway-harness.js';
import { startGatewayProcess } from '../helpers/gateway-process.js';
import { connectedClient, TestClient } from '../helpers/ws-client.js';
import { envInt, rng, until } from './support.js';

const FRAMES = envInt(process.env.RELIABILITY_FRAMES, 100_000);
const SEED = envInt(process.env.RELIABILITY_SEED, 20261126);
const PRE_AUTH = Math.min(1000, Math.floor(FRAMES / 100));
const CONNECTIONS = 8;
const BATCH = 250;
/** Methods left out: they would change the gateway's own config or approvals under the fuzzer. */
const SAFE_METHODS = [
  'agent.identity.get',
  'agent.wait',
  'agents.list',
  'channels.status',
  'chat.abort',
  'chat.history',
  'chat.inject',
  'cron.list',
  'cron.runs',
  'cron.status',
  'cron.remove',
  'exec.approvals.get',
  'exec.approvals.list',
  'health',
  'logs.tail',
  'models.list',
  'pairing.list',
  'sessions.list',
  'sessions.preview',
  'sessions.abort',
  'status',
  'system-presence',
  'wake',
  'send',
  'chat.send',
];
const JUNK: unknown[] = [
  'x',
  1,
  -1,
  0,
  1e308,
  null,
  true,
  [],
  [1, 'a'],
  {},
  { limit: -5 },
  { limit: 'ten' },
  { sessionKey: '' },
  { sessionKey: 'agent:main:dm:%ZZ' },
  { sessionKey: 'a'.repeat(5000) },
  { cursor: { $gt: '' } },
  { message: '\u0000\uD800', sessionKey: 'main', idempotencyKey: 'k' },
  { to: '', message: '' },
  { id: '../../etc/passwd' },
  { lines: 1e9 },
  { agentId: 'NOPE' },
  { text: '' },
  { mode: 'sideways' },
];

let child: ChildProcess;
let url: string;
let token: string;
let stateDir: string;
let stderr = '';

beforeAll(async () => {
  stateDir = await tempStateDir({ session: { reset: { mode: 'off' } }, heartbeat: { every: '0m' } });
  ({ child, url, token } = await startGatewayProcess(stateDir));
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

type Frame = { data: string | Buffer; id?: string };

/** Frames the gateway answers by closing the connection: binary, not JSON, or no request id to answer. */
function closes(f: Frame): boolean {
  if (typeof f.data !== 'string') return true;
  try {
    const v = JSON.parse(f.data) as { id?: unknown } | null;
    return typeof v !== 'object' || v === null || Array.isArray(v) || typeof v.id !== 'string' || v.id === '';
  } catch {
    return true;
  }
}

/** One frame; `id` is set when it is a well-formed request (which must get exactly one response). */
function frame(rand: () => number, n: number): Frame {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const id = `f${n}`;
  const req = (method: string, params?: unknown) => {
    const f: Record<string, unknown> = { type: 'req', id, method };
    if (params !== undefined) f.params = params;
    return { data: JSON.stringify(f), id };
  };
  const r = rand();
  if (r < 0.0015) return { data: Buffer.from([0xff, 0x00, Math.floor(rand() * 256)]) }; // binary: closes
  if (r < 0.002) return { data: `${'['.repeat(5000)}${']'.repeat(5000)}` };
  if (r < 0.0025) return req('health', { pad: 'p'.repeat(100_000) });
  switch (Math.floor(rand() * 12)) {
    case 0:
      return {
        data: Buffer.from(
          Array.from({ length: 1 + Math.floor(rand() * 48) }, () => Math.floor(rand() * 256)),
        ).toString('latin1'),
      };
    case 1:
      return {
        data: JSON.stringify({ type: 'req', id, method: 'status' }).slice(0, Math.floor(rand() * 30)),
      };
    case 2:
      return { data: JSON.stringify(pick([null, 42, 'req', [], [1, 2], true, {}, { type: 'req' }])) };
    case 3:
      return {
        data: JSON.stringify({ type: 'req', id: pick([1, null, '', {}, [], true]), method: 'health' }),
      };
    case 4:
      return {
        data: JSON.stringify({ type: 'req', id, method: pick([1, null, '', 'x'.repeat(300), '__proto__']) }),
      };
    case 5:
      return req(`no.such.${Math.floor(rand() * 1e6)}`);
    case 6:
    case 7:
      return req(pick(SAFE_METHODS), pick(JUNK));
    case 8:
      return {
        data: `{"type":"req","id":"${id}","method":"health","params":{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}}`,
        id,
      };
    case 9:
      return {
        data: JSON.stringify({
          type: pick(['res', 'event', 'REQ', '', 'connect']),
          id,
          method: 'health',
          ok: true,
        }),
      };
    case 10:
      return req(pick(['health', 'status', 'sessions.list', 'models.list', 'cron.status']));
    default:
      return {
        data: JSON.stringify({ type: 'req', id, method: 'health', extra: 'key', params: { a: [rand()] } }),
        id,
      };
  }
}

/** An authenticated connection that counts the responses to the ids it sent. */
class FuzzClient {
  readonly expected = new Set<string>();
  readonly answered = new Map<string, number>();
  #barrier = 0;
  private constructor(readonly c: TestClient) {
    c.ws.on('message', (data) => {
      const text = data.toString();
      if (!text.startsWith('{"type":"res"')) return;
      const id = (JSON.parse(text) as { id?: string }).id;
      if (typeof id === 'string') this.answered.set(id, (this.answered.get(id) ?? 0) + 1);
    });
  }
  static async open(): Promise<FuzzClient> {
    return new FuzzClient(await connectedClient(url, token));
  }
  get open(): boolean {
    return this.c.ws.readyState === this.c.ws.OPEN;
  }
  send(f: Frame): void {
    if (f.id) this.expected.add(f.id);
    this.c.ws.send(f.data, { binary: typeof f.data !== 'string' });
  }
  /** A `health` round trip after what was sent (false when the connection closed meanwhile). */
  async barrier(): Promise<boolean> {
    const id = `barrier-${++this.#barrier}`;
    this.c.ws.send(JSON.stringify({ type: 'req', id, method: 'health' }));
    const done = until(() => this.answered.has(id) || !this.open, 'a barrier', 60_000);
    await done;
    return this.answered.has(id);
  }
}

describe('reliability: fuzzing the control plane', () => {
  it(`survives ${FRAMES.toLocaleString('en')} frames with zero crashes (seed ${SEED})`, async () => {
    const rand = rng(SEED);
    let sent = 0;
    // Before authentication: each frame on a fresh socket (the gateway closes it after a bad frame).
    while (sent < PRE_AUTH) {
      await Promise.all(
        Array.from({ length: Math.min(50, PRE_AUTH - sent) }, async () => {
          const c = await TestClient.open(url);
          await c.waitFor((f) => f.event === 'connect.challenge');
          const f = frame(rand, sent++);
          c.ws.send(f.data, { binary: typeof f.data !== 'string' });
          c.close();
          await c.closed;
        }),
      );
    }
    // After authentication: pipelined batches on parallel connections. Frames that make the gateway hang
    // up are held back and one of them ends its batch; the connection is then replaced.
    const clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => FuzzClient.open()));
    let reconnects = 0;
    let checked = 0;
    let closers = 0;
    while (sent < FRAMES) {
      await Promise.all(
        clients.map(async (client, k) => {
          let c = client;
          if (!c.open) {
            c.c.close();
            c = await FuzzClient.open();
            clients[k] = c;
            reconnects++;
          }
          let closer: Frame | undefined;
          for (let j = 0; j < BATCH && sent < FRAMES && c.open; j++) {
            const f = frame(rand, sent++);
            if (!closes(f)) c.send(f);
            else if (!closer) closer = f;
            else sent--; // one closer per batch: draw another frame instead
          }
          if (!(await c.barrier())) return;
          // Every well-formed request of the batch got exactly one response.
          await until(() => [...c.expected].every((id) => c.answered.has(id)), 'every response', 60_000);
          for (const id of c.expected) {
            expect(c.answered.get(id), `responses to ${id}`).toBe(1);
            checked++;
          }
          c.expected.clear();
          if (closer) {
            c.send(closer);
            closers++;
          }
        }),
      );
      expect(child.exitCode, `gateway exited; stderr: ${stderr.slice(-2000)}`).toBeNull();
    }
    expect(sent).toBe(FRAMES);
    expect(reconnects).toBeGreaterThan(0);
    expect(closers).toBeGreaterThan(0);
    expect(checked).toBeGreaterThan(FRAMES / 4);
    for (const c of clients) c.c.close();

    // Still up and serving, with no crash report.
    expect(child.exitCode).toBeNull();
    const fresh = await connectedClient(url, token);
    const health = await fresh.request('health');
    expect(health.ok).toBe(true);
    const status = await fresh.request('status');
    expect(status.ok).toBe(true);
    fresh.close();
    expect(stderr).not.toMatch(/uncaught|unhandled|FATAL|heap out of memory/i);
  }, 600_000);
});
