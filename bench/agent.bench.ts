// Agent turn figures with an instant fake model: gateway overhead per turn (turn time seen by a client
// minus the model server's own time), turns per second across 100 concurrent sessions, and RSS before and
// after 10,000 turns. Run with `npm run bench -- agent` (builds first).
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { validateConfig } from '../src/config/index.js';
import { createHttpFetch, createModelRuntime, type FetchPort } from '../src/models/index.js';
import {
  type BenchClient,
  firstHealth,
  fmt,
  freePort,
  gatewayToken,
  instantModelConfig,
  percentile,
  rssKb,
  startGatewayProcess,
  stopProcess,
  tempDir,
} from './lib.js';

/** An OpenAI Chat Completions server that answers every request at once with a two-token SSE reply. */
interface InstantModel {
  baseUrl: string;
  /** Server-side time of each request, in arrival order: first byte received → response finished. */
  times: number[];
  /** Size in bytes of the last request body. */
  lastBodyBytes: number;
  close(): Promise<void>;
}

export async function instantModel(): Promise<InstantModel> {
  const times: number[] = [];
  let lastBodyBytes = 0;
  const chunk = (body: unknown) => `data: ${JSON.stringify(body)}\n\n`;
  const base = { id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'm' };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const t0 = performance.now();
    const slot = times.push(Number.NaN) - 1;
    let bytes = 0;
    req.on('data', (b: Buffer) => {
      bytes += b.length;
    });
    req.once('end', () => {
      lastBodyBytes = bytes;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(
        chunk({
          ...base,
          choices: [{ index: 0, delta: { role: 'assistant', content: 'ok' }, finish_reason: null }],
        }) +
          chunk({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }) +
          chunk({
            ...base,
            choices: [],
            usage: { prompt_tokens: 10, completion_tokens: 1, total_tokens: 11 },
          }),
      );
      res.end('data: [DONE]\n\n');
    });
    res.once('finish', () => {
      times[slot] = performance.now() - t0;
    });
  };
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    times,
    get lastBodyBytes() {
      return lastBodyBytes;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The model layer alone, no gateway: `n` sequential calls of our model runtime (the AI SDK's `doStream`
 * and its stream parsing) in this process against the instant model, with a request of `bodyBytes` (the
 * size of the gateway's own), each minus the server's time. What a turn's overhead cannot go below.
 */
async function modelLayerFloor(model: InstantModel, bodyBytes: number, fetch: FetchPort, n = 1000) {
  const checked = validateConfig(instantModelConfig(model.baseUrl));
  if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
  const runtime = createModelRuntime({ models: checked.config.models, fetch });
  const request = {
    model: 'fake/m',
    system: 'x'.repeat(Math.max(0, bodyBytes - 200)),
    messages: [{ role: 'user' as const, content: 'hello' }],
  };
  const overheads: number[] = [];
  for (let i = 0; i < n + 200; i++) {
    const before = model.times.length;
    const t0 = performance.now();
    for await (const ev of runtime.stream(request))
      if (ev.type === 'error') throw new Error(ev.error.message);
    const ms = performance.now() - t0 - model.times.slice(before).reduce((a, b) => a + b, 0);
    if (i >= 200) overheads.push(ms); // the first 200 warm up
  }
  return overheads;
}

/** Sends `agent` requests on one connection and resolves each with its final answer (not the ack). */
export class TurnClient {
  #finals = new Map<string, (payload: { status: string; summary?: string }) => void>();
  #n = 0;

  constructor(readonly client: BenchClient) {
    client.ws.on('message', (data) => {
      const text = data.toString();
      if (!text.startsWith('{"type":"res"')) return; // events are most of the traffic: skip them cheaply
      const f = JSON.parse(text) as {
        id: string;
        ok: boolean;
        payload?: { status?: string };
        error?: unknown;
      };
      if (!f.ok) this.#finals.get(f.id)?.({ status: 'error', summary: JSON.stringify(f.error) });
      else if (f.payload?.status !== 'accepted') this.#finals.get(f.id)?.(f.payload as { status: string });
    });
  }

  /** One turn in `sessionKey`; resolves with the client-side time in ms. Throws when the run fails. */
  async turn(sessionKey: string): Promise<number> {
    const id = `t${++this.#n}`;
    const t0 = performance.now();
    const final = await new Promise<{ status: string; summary?: string }>((resolve) => {
      this.#finals.set(id, resolve);
      this.client.ws.send(
        JSON.stringify({
          type: 'req',
          id,
          method: 'agent',
          params: { message: `hello ${this.#n}`, idempotencyKey: `bench-${id}-${t0}`, sessionKey },
        }),
      );
    });
    this.#finals.delete(id);
    if (final.status !== 'ok') throw new Error(`turn failed: ${final.summary ?? final.status}`);
    return performance.now() - t0;
  }
}

/** Sum and count of a histogram in the gateway's `GET /metrics` (all label sets added up). */
async function histogramTotals(stateDir: string, port: number, name: string) {
  const token = await gatewayToken(stateDir);
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (!res.ok) throw new Error(`GET /metrics answered ${res.status}`);
  const lines = (await res.text()).split('\n');
  const total = (suffix: string) =>
    lines
      .filter((line) => line.startsWith(`${name}_${suffix}`))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  return { sum: total('sum'), count: total('count') };
}

/** `n` sequential turns; the overhead of each is its time minus the model server's time for it. */
async function sequential(
  turns: TurnClient,
  model: InstantModel,
  n: number,
  key: (i: number) => string,
): Promise<number[]> {
  const overheads: number[] = [];
  for (let i = 0; i < n; i++) {
    const before = model.times.length;
    const ms = await turns.turn(key(i));
    const server = model.times.slice(before).reduce((a, b) => a + b, 0);
    overheads.push(ms - server);
  }
  return overheads;
}

/** `sessions` sessions at once, each doing `perSession` turns one after another; resolves with turns/s. */
export async function concurrent(turns: TurnClient, sessions: number, perSession: number, tag: string) {
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: sessions }, async (_, s) => {
      for (let i = 0; i < perSession; i++) await turns.turn(`agent:main:dm:${tag}-${s}`);
    }),
  );
  return (sessions * perSession) / ((performance.now() - t0) / 1000);
}

/** The highest RSS of `pid` (sampled every 250 ms) while `work` runs. */
async function peakRss<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = await rssKb(pid);
  const sampler = setInterval(() => {
    void rssKb(pid).then((kb) => {
      peak = Math.max(peak, kb);
    });
  }, 250);
  try {
    return { result: await work(), peak };
  } finally {
    clearInterval(sampler);
  }
}

/**
 * RSS once the idle gateway has settled. Under load V8 keeps a large heap committed (most of it garbage
 * already collected); its memory reducer hands that back after 10–20 s of idleness. Sample every second
 * until RSS has not gone down for 25 s (at most 75 s) and take the lowest value seen.
 */
export async function settledRss(pid: number): Promise<number> {
  let low = await rssKb(pid);
  let since = 0;
  for (let s = 0; s < 75 && since < 25; s++) {
    await new Promise((r) => setTimeout(r, 1000));
    const kb = await rssKb(pid);
    if (kb < low - 512) {
      low = kb;
      since = 0;
    } else since++;
  }
  return low;
}

const p = (values: number[]) =>
  `p50 ${fmt(percentile(values, 50), 2)} / p99 ${fmt(percentile(values, 99), 2)}`;
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;

export async function benchAgent(): Promise<Record<string, string>> {
  const model = await instantModel();
  const stateDir = await tempDir();
  const config = instantModelConfig(model.baseUrl);
  await writeFile(join(stateDir, 'carapace.json'), JSON.stringify(config), { mode: 0o600 });
  const port = await freePort();
  const child = startGatewayProcess(stateDir, port);
  const turns = new TurnClient(await firstHealth(stateDir, port));

  await sequential(turns, model, 50, (i) => `agent:main:dm:warm-${i}`);
  const modelCall = 'carapace_model_call_duration_seconds';
  const callsBefore = await histogramTotals(stateDir, port, modelCall);
  const serverBefore = model.times.length;
  const fresh = await sequential(turns, model, 1000, (i) => `agent:main:dm:fresh-${i}`);
  const callsAfter = await histogramTotals(stateDir, port, modelCall);
  // Means over the 1,000 turns: a turn's time = its overhead + the server's time; the gateway's own part is
  // what is left of it once the model call, as the gateway times it (request built → last event), is out.
  const serverMean = mean(model.times.slice(serverBefore));
  const callMean = ((callsAfter.sum - callsBefore.sum) * 1000) / (callsAfter.count - callsBefore.count);
  const turnMean = mean(fresh) + serverMean;
  const bodyBytes = model.lastBodyBytes; // a new session's request, for the model-layer floor below
  const grow = await sequential(turns, model, 300, () => 'agent:main:dm:long');
  const pid = child.pid ?? 0;
  const { result: throughput, peak: peakBefore } = await peakRss(pid, () => concurrent(turns, 100, 20, 'tp'));

  const rssBefore = await settledRss(pid);
  const t0 = performance.now();
  const { result: rate, peak: rssPeak } = await peakRss(pid, () => concurrent(turns, 100, 100, 'rss'));
  const tenK = (performance.now() - t0) / 1000;
  const rssRightAfter = await rssKb(pid);
  const rssAfter = await settledRss(pid);

  turns.client.close();
  await stopProcess(child);
  const floorLean = await modelLayerFloor(model, bodyBytes, createHttpFetch());
  const floorUndici = await modelLayerFloor(model, bodyBytes, globalThis.fetch);
  await model.close();
  const serverP50 = percentile(model.times, 50);
  return {
    'model server time per request (p50)': fmt(serverP50, 2),
    [`model layer alone (runtime + AI SDK, ${(bodyBytes / 1024).toFixed(1)} kB request, no gateway)`]: `${p(floorLean)} with createHttpFetch; ${p(floorUndici)} with Node's fetch (undici)`,
    'overhead per turn, new session each (1,000 turns)': `${p(fresh)}  (target p50 ≤ 3 ms)`,
    '  the same turns, means: turn / model call as the gateway times it / the gateway without the call': `${fmt(turnMean, 2)} / ${fmt(callMean, 2)} / ${fmt(turnMean - callMean, 2)}`,
    'overhead per turn, one session growing to 600 messages (300 turns)': `${p(grow)}; last 50 turns p50 ${fmt(percentile(grow.slice(-50), 50), 2)}`,
    'turns per second, 100 concurrent sessions × 20 turns': `${throughput.toFixed(0)} /s (agents.defaults.maxConcurrent 4)`,
    '10,000 turns (100 sessions × 100)': `${tenK.toFixed(1)} s, ${rate.toFixed(0)} turns/s`,
    'gateway RSS before / after 10,000 turns, settled': `${mb(rssBefore)} / ${mb(rssAfter)} (growth ${mb(rssAfter - rssBefore)}; target ≤ 50 MB)`,
    'gateway RSS during the 10,000 turns': `peak ${mb(rssPeak)} (peak ${mb(peakBefore)} during the 2,000 concurrent turns before: growth ${mb(rssPeak - peakBefore)}), ${mb(rssRightAfter)} right after the last turn`,
  };
}
