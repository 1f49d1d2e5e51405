// Gateway core figures (issue 2): cold start to first `health`, idle RSS, `health` round trip,
// and a one-shot `carapace health`; REL-02: a reader's event latency while a slow consumer is cut off.
// Run with `npm run bench` (builds first).
import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import WebSocket from 'ws';
import { Gateway } from '../src/gateway/index.js';
import {
  CLI,
  firstHealth,
  fmt,
  freePort,
  gatewayToken,
  median,
  percentile,
  rssKb,
  startGatewayProcess,
  stopProcess,
  tempDir,
} from './lib.js';

export async function benchGateway(): Promise<Record<string, string>> {
  // Cold start: a new process on a fresh state dir (includes generating the token) until health answers.
  const starts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const dir = await tempDir();
    const port = await freePort();
    const t0 = performance.now();
    const child = startGatewayProcess(dir, port);
    const client = await firstHealth(dir, port);
    starts.push(performance.now() - t0);
    client.close();
    await stopProcess(child);
  }

  // Idle RSS, health round trips and the one-shot CLI against one running gateway.
  const dir = await tempDir();
  const port = await freePort();
  const child = startGatewayProcess(dir, port);
  const client = await firstHealth(dir, port);
  client.close();
  await new Promise((r) => setTimeout(r, 1500));
  const idleRss = await rssKb(child.pid ?? 0);

  const rt = await firstHealth(dir, port);
  for (let i = 0; i < 200; i++) await rt.call('health');
  const times: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const t0 = performance.now();
    await rt.call('health');
    times.push(performance.now() - t0);
  }
  rt.close();

  const token = await gatewayToken(dir);
  const oneShot: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const res = spawnSync(process.execPath, [
      CLI,
      'health',
      '--json',
      '--url',
      `ws://127.0.0.1:${port}`,
      '--token',
      token,
    ]);
    oneShot.push(performance.now() - t0);
    if (res.status !== 0) throw new Error(`carapace health failed: ${res.stderr}`);
  }
  await stopProcess(child);
  const slow = await benchSlowConsumer();

  return {
    'cold start → first health (median of 5)': `${fmt(median(starts))}  (target ≤ 450 ms; runs: ${starts.map((s) => s.toFixed(0)).join(', ')})`,
    'idle RSS after start': `${(idleRss / 1024).toFixed(1)} MB  (target ≤ 70 MB)`,
    'health round trip p50 / p99 (1,000 calls)': `${fmt(percentile(times, 50), 3)} / ${fmt(percentile(times, 99), 3)}  (target p50 ≤ 0.3 ms)`,
    'one-shot `carapace health` (median of 5)': `${fmt(median(oneShot))}`,
    'REL-02 reader event latency p50 / p99, 100 events/s of 64 KiB': `${fmt(percentile(slow.baseline, 50), 2)} / ${fmt(percentile(slow.baseline, 99), 2)}`,
    '  … while a slow consumer fills up and is cut': `${fmt(percentile(slow.loaded, 50), 2)} / ${fmt(percentile(slow.loaded, 99), 2)}  (target p99 < 2× the line above; cut after ${(slow.cutAfterMs / 1000).toFixed(1)} s at maxBufferedBytes 50 MiB)`,
  };
}

/** A connected client in this process that records how long each numbered `tick` took to arrive. */
async function eventReader(url: string, token: string, latencies: number[]): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString());
      if (f.event === 'connect.challenge') {
        const client = { id: 'cli', version: 'bench', platform: process.platform, mode: 'cli' };
        const params = { minProtocol: 3, maxProtocol: 4, client, auth: { token } };
        ws.send(JSON.stringify({ type: 'req', id: 'c', method: 'connect', params }));
      } else if (f.id === 'c') f.ok ? resolve() : reject(new Error(f.error?.message));
      else if (f.event === 'tick' && typeof f.payload?.sentAt === 'number')
        latencies.push(performance.now() - f.payload.sentAt);
    });
  });
  return ws;
}

/**
 * REL-02: 100 events/s of 64 KiB broadcast to a reader, first alone (3 s), then beside a client that stops
 * reading, until the gateway cuts that one off at `maxBufferedBytes` and for 3 s more. In-process, so the
 * event's send time and its arrival share one clock.
 */
async function benchSlowConsumer(): Promise<{ baseline: number[]; loaded: number[]; cutAfterMs: number }> {
  const stateDir = await tempDir();
  const gateway = await Gateway.start({ stateDir, port: 0, env: { PATH: process.env.PATH ?? '' } });
  const token = gateway.secret ?? '';
  const pad = 'e'.repeat(64 * 1024);
  const broadcastFor = async (ms: number, until?: () => boolean) => {
    const end = performance.now() + ms;
    while (performance.now() < end || (until && !until())) {
      gateway.broadcast('tick', { ts: Date.now(), sentAt: performance.now(), pad });
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const baseline: number[] = [];
  const loaded: number[] = [];
  const reader = await eventReader(gateway.url, token, baseline);
  await broadcastFor(3000);
  reader.close();
  const reader2 = await eventReader(gateway.url, token, loaded);
  const slow = await eventReader(gateway.url, token, []);
  slow.pause();
  const t0 = performance.now();
  let cutAfterMs = Number.NaN;
  await broadcastFor(0, () => {
    if (gateway.transport.connections.size <= 1) cutAfterMs = performance.now() - t0;
    return gateway.transport.connections.size <= 1 || performance.now() - t0 > 120_000;
  });
  await broadcastFor(3000);
  reader2.close();
  slow.terminate();
  await gateway.stop('bench done');
  await rm(stateDir, { recursive: true, force: true });
  return { baseline, loaded, cutAfterMs };
}
