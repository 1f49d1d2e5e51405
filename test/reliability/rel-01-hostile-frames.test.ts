/**
 * REL-01 (SECURITY-TESTS.md), quick size: the hostile frames fuzz-100k.test.ts does not send, over 50
 * concurrent connections, before and after authentication, at a gateway process (`carapace gateway run`):
 * 10 MB frames, 10,000-deep JSON (arrays and objects, in the frame and in free-form params such as
 * `config.patch`'s patch, whose handlers recurse), `__proto__`/`constructor` keys in the params of every
 * method, text frames of invalid UTF-8, duplicate request ids and duplicate JSON keys, ids of the longest
 * allowed length and far beyond, unknown methods named like Object.prototype members.
 * Pass: the process stays up with nothing on stderr about an uncaught error or unhandled rejection; every
 * well-formed request is answered exactly once; every frame that must end its connection ends it with the
 * right close code; a fresh client is served afterwards; RSS (VmRSS of the process) grows < 50 MB from
 * the end of two warm-up rounds to the end. A second test, in-process, shows Object.prototype untouched after
 * `__proto__`/`constructor.prototype` params reach every method. REL01_ROUNDS changes the rounds.
 */
import type { ChildProcess } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, tempStateDir } from '../helpers/gateway-harness.js';
import { startGatewayProcess } from '../helpers/gateway-process.js';
import { connectedClient, TestClient } from '../helpers/ws-client.js';
import { envInt, until } from './support.js';

const CONNECTIONS = 50;
const ROUNDS = envInt(process.env.REL01_ROUNDS, 4);
const DEPTH = 10_000;
const TEN_MB = 10 * 1024 * 1024;

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

const deepArray = (n = DEPTH) => `${'['.repeat(n)}${']'.repeat(n)}`;
const deepObject = (n = DEPTH) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
const PROTO = '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}';
/** Invalid UTF-8 (a lone continuation byte, an overlong encoding, a truncated sequence) inside JSON. */
const BAD_UTF8 = Buffer.concat([
  Buffer.from('{"type":"req","id":"u","method":"health","params":{"x":"'),
  Buffer.from([0x80, 0xc0, 0xaf, 0xe2, 0x82]),
  Buffer.from('"}}'),
]);
const METHODS_WITH_FREE_FORM = ['config.patch', 'config.set', 'exec.approvals.set'];

/** The methods a connection's hello-ok lists (all but `connect`). */
function helloMethods(c: TestClient): string[] {
  const hello = c.frames.find((f) => f.id === 'connect-1')?.payload as
    | { features?: { methods?: string[] } }
    | undefined;
  return (hello?.features?.methods ?? []).filter((m) => m !== 'connect');
}

async function rssKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
}

/** The lowest of a few samples once the process settles (garbage not yet collected is not growth). */
async function settledRssKb(pid: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    await new Promise((res) => setTimeout(res, 400));
    samples.push(await rssKb(pid));
  }
  return Math.min(...samples);
}

/** A request frame as raw text, so keys such as `__proto__` and duplicate keys go out verbatim. */
const req = (id: string, method: string, params?: string) =>
  `{"type":"req","id":${JSON.stringify(id)},"method":${JSON.stringify(method)}${params === undefined ? '' : `,"params":${params}`}}`;

/** Well-formed requests for connection `k` of round `r`: each must get exactly one response. */
function answerable(k: number, r: number, methods: string[]): { id: string; data: string }[] {
  const t = `${r}-${k}`;
  const out: { id: string; data: string }[] = [];
  const add = (id: string, data: string) => out.push({ id, data });
  add(`deep-arr-${t}`, req(`deep-arr-${t}`, 'health', deepArray()));
  add(`deep-obj-${t}`, req(`deep-obj-${t}`, 'health', deepObject()));
  // Free-form params pass validation: the handlers (merge patch, hashing the idempotency key) see the depth.
  add(`deep-patch-${t}`, req(`deep-patch-${t}`, 'config.patch', `{"patch":{"zz":${deepObject()}}}`));
  add(
    `deep-set-${t}`,
    req(`deep-set-${t}`, 'config.set', `{"config":{"zz":${deepArray()}},"idempotencyKey":"deep-${t}"}`),
  );
  add(`deep-raw-${t}`, req(`deep-raw-${t}`, 'config.patch', JSON.stringify({ raw: `{zz:${deepObject()}}` })));
  add(
    `deep-appr-${t}`,
    req(`deep-appr-${t}`, 'exec.approvals.set', `{"file":{"zz":${deepObject()}},"baseHash":"stale"}`),
  );
  // Prototype keys, in the params of a method picked by k, and in free-form params (with a stale base hash).
  const m = methods[(k + r * CONNECTIONS) % methods.length] ?? 'health';
  add(`proto-${t}`, req(`proto-${t}`, m, PROTO));
  add(`proto-patch-${t}`, req(`proto-patch-${t}`, 'config.patch', `{"patch":${PROTO},"baseHash":"stale"}`));
  // Duplicate ids (pipelined: later copies arrive while the first is in flight) and duplicate keys.
  for (let i = 0; i < 4; i++) add(`dup-${t}`, req(`dup-${t}`, 'sessions.list'));
  add(`dupkey-b-${t}`, `{"type":"req","id":"dupkey-a-${t}","method":"health","id":"dupkey-b-${t}"}`);
  // The longest id allowed, methods named like Object.prototype members, a method name just too long.
  const long = `L${t}-`.padEnd(256, 'i');
  add(long, req(long, 'health'));
  for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'x'.repeat(129)])
    add(`m-${name.slice(0, 16)}-${t}`, req(`m-${name.slice(0, 16)}-${t}`, name));
  // Escaped lone surrogates and NUL are valid JSON text.
  add(`sur-${t}`, req(`sur-${t}`, 'sessions.preview', '{"keys":["\\ud800\\u0000","\\udfff"]}'));
  if (k === 0) add(`big-${t}`, req(`big-${t}`, 'health', `{"pad":"${'p'.repeat(TEN_MB)}"}`));
  add(`health-${t}`, req(`health-${t}`, 'health'));
  return out;
}

/** Frames that end an authenticated connection, with the close code each must get. */
function closer(k: number): { data: string | Buffer; code: number } {
  switch (k % 6) {
    case 0:
      return { data: BAD_UTF8, code: 1007 };
    case 1:
      return { data: req('i'.repeat(1024 * 1024), 'health'), code: 1008 };
    case 2:
      return { data: req('i'.repeat(257), 'health'), code: 1008 };
    case 3:
      return { data: deepArray(), code: 1008 };
    case 4:
      return { data: '{"type":"req","id":1e400,"method":"health"}', code: 1008 };
    default:
      return k === 5 ? { data: `{${'x'.repeat(TEN_MB)}`, code: 1000 } : { data: '{', code: 1000 };
  }
}

/** Frames sent as the first frame of a connection, with the close code each must get. */
function preAuth(k: number, r: number): { data: string | Buffer; code: number; answered: boolean } {
  const client = '{"id":"test","version":"1","platform":"linux","mode":"test"}';
  if (k === 0)
    return { data: req('big', 'connect', `{"pad":"${'p'.repeat(TEN_MB)}"}`), code: 1009, answered: false };
  switch ((k + r) % 8) {
    case 0:
      return { data: req('x'.repeat(300), 'connect'), code: 1008, answered: false };
    case 1:
      return { data: deepArray(), code: 1008, answered: false };
    case 2:
      return {
        data: req('c', 'connect', `{"minProtocol":3,"maxProtocol":4,"client":${deepObject(5000)}}`),
        code: 1008,
        answered: true,
      };
    case 3:
      return {
        data: req(
          'c',
          'connect',
          `{"minProtocol":3,"maxProtocol":4,"client":${client},"__proto__":{"role":"operator"}}`,
        ),
        code: 1008,
        answered: true,
      };
    case 4:
      return { data: BAD_UTF8, code: 1007, answered: false };
    case 5:
      return { data: req('c', 'constructor'), code: 1008, answered: true };
    case 6:
      return {
        data: '{"type":"req","id":"c","method":"connect","method":"health"}',
        code: 1008,
        answered: true,
      };
    default:
      return {
        data: req('c', 'connect', `{"minProtocol":3,"maxProtocol":4,"client":${PROTO}}`),
        code: 1008,
        answered: true,
      };
  }
}

/** One round: 50 pre-auth sockets, then 50 authenticated connections at once. */
async function round(r: number, methods: string[]): Promise<void> {
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, k) => {
      const f = preAuth(k, r);
      const c = await TestClient.open(url);
      await c.waitFor((x) => x.event === 'connect.challenge');
      c.ws.send(f.data, { binary: false });
      const closed = await c.closed;
      expect(closed.code, `pre-auth frame ${k}/${(k + r) % 8} of round ${r}`).toBe(f.code);
      const answers = c.frames.filter((x) => x.type === 'res');
      expect(answers).toHaveLength(f.answered ? 1 : 0);
      if (f.answered) expect(answers[0]?.ok).toBe(false);
    }),
  );
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, k) => {
      const c = await connectedClient(url, token);
      const frames = answerable(k, r, methods);
      for (const f of frames) c.send(f.data);
      const want = new Map<string, number>();
      for (const f of frames) want.set(f.id, (want.get(f.id) ?? 0) + 1);
      const got = () => {
        const n = new Map<string, number>();
        for (const x of c.frames) if (x.type === 'res' && x.id) n.set(x.id, (n.get(x.id) ?? 0) + 1);
        return n;
      };
      await until(() => [...want].every(([id, n]) => (got().get(id) ?? 0) >= n), `answers on ${k}`, 120_000);
      for (const [id, n] of want) expect(got().get(id), `responses to ${id.slice(0, 40)}`).toBe(n);
      expect(got().has(`dupkey-a-${r}-${k}`)).toBe(false);
      expect([...got().keys()].filter((id) => !want.has(id) && id !== 'connect-1')).toEqual([]);
      const dup = c.frames.filter((x) => x.id === `dup-${r}-${k}`);
      expect(dup.some((x) => x.error?.details?.code === 'DUPLICATE_REQUEST_ID')).toBe(true);
      expect(c.frames.find((x) => x.id === `health-${r}-${k}`)?.ok).toBe(true);
      // Deep free-form params are refused as such (not an internal error a client would retry).
      for (const id of [`deep-patch-${r}-${k}`, `deep-set-${r}-${k}`]) {
        const res = c.frames.find((x) => x.id === id);
        expect(res?.error?.details?.code, id).toBe('INVALID_PARAMS');
        expect(res?.error?.message).toMatch(/nested more than 64 levels deep/);
      }
      // JSON5 text nested as deep is refused by the config parser, naming the limit.
      const raw = c.frames.find((x) => x.id === `deep-raw-${r}-${k}`);
      expect(raw?.ok, 'deep raw config.patch').toBe(false);
      expect(raw?.error?.message).toMatch(/nests more than 64 levels/);
      const internal = c.frames.filter((x) => x.error?.details?.code === 'INTERNAL_ERROR');
      expect(internal.map((x) => `${x.id}: ${x.error?.message}`)).toEqual([]);
      const end = closer(k);
      c.ws.send(end.data, { binary: false });
      expect((await c.closed).code, `closer ${k % 6}`).toBe(end.code);
    }),
  );
  expect(child.exitCode, `gateway exited; stderr: ${stderr.slice(-2000)}`).toBeNull();
}

describe('REL-01: hostile frames over 50 connections', () => {
  it(`keeps a gateway process up and answering through ${ROUNDS} rounds`, async () => {
    const probe = await connectedClient(url, token);
    const methods = helloMethods(probe);
    probe.close();
    expect(methods.length).toBeGreaterThan(30);
    const pid = child.pid ?? 0;
    // Warm-up: every code path has run and the heap has grown to its working size.
    for (let r = 0; r < 2; r++) await round(r, methods);
    const base = await settledRssKb(pid);
    for (let r = 2; r < 2 + ROUNDS; r++) await round(r, methods);
    const growthMb = ((await settledRssKb(pid)) - base) / 1024;
    console.log(`REL-01: RSS ${Math.round(base / 1024)} MB after warm-up, growth ${growthMb.toFixed(1)} MB`);
    expect(growthMb).toBeLessThan(50);

    expect(child.exitCode).toBeNull();
    const fresh = await connectedClient(url, token);
    expect((await fresh.request('health')).ok).toBe(true);
    expect((await fresh.request('status')).ok).toBe(true);
    const cfg = await fresh.request('config.get');
    expect(JSON.stringify(cfg.payload)).not.toMatch(/polluted|"zz"/);
    fresh.close();
    expect(stderr).not.toMatch(/uncaught|unhandled|FATAL|heap out of memory|RangeError/i);
  }, 600_000);
});

describe('REL-01: prototype keys in params', () => {
  it('leave Object.prototype and the stored config untouched (in-process gateway, every method)', async () => {
    const h = await startGateway();
    try {
      const c = await connectedClient(h.url, h.token);
      const methods = helloMethods(c);
      const before = Object.getOwnPropertyNames(Object.prototype).sort();
      let n = 0;
      const frames: string[] = [];
      for (const m of methods) frames.push(req(`p${n++}`, m, PROTO));
      frames.push(req(`p${n++}`, 'config.patch', `{"patch":${PROTO}}`));
      frames.push(req(`p${n++}`, 'config.patch', `{"patch":{"gateway":${PROTO}}}`));
      frames.push(req(`p${n++}`, 'config.set', `{"config":${PROTO}}`));
      frames.push(req(`p${n++}`, 'config.patch', JSON.stringify({ raw: PROTO })));
      frames.push(req(`p${n++}`, 'exec.approvals.set', `{"file":${PROTO}}`));
      frames.push(req(`p${n++}`, 'exec.approvals.set', `{"file":{"agents":${PROTO}}}`));
      for (const f of frames) c.send(f);
      await until(
        () => Array.from({ length: n }, (_, i) => `p${i}`).every((id) => c.frames.some((f) => f.id === id)),
        'every answer',
      );
      expect(METHODS_WITH_FREE_FORM.every((m) => methods.includes(m))).toBe(true);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before);
      expect(Object.prototype.constructor).toBe(Object);
      const cfg = await c.request('config.get');
      expect(JSON.stringify(cfg.payload)).not.toMatch(/polluted/);
      const approvals = await c.request('exec.approvals.get');
      expect(approvals.ok).toBe(true);
      expect(
        ((approvals.payload as { file: object }).file as Record<string, unknown>).polluted,
      ).toBeUndefined();
      expect((await c.request('health')).ok).toBe(true);
      c.close();
    } finally {
      await h.cleanup();
    }
  }, 60_000);
});
