// Gateway core figures (issue 2): cold start to first `health`, idle RSS, `health` round trip,
// and a one-shot `carapace health`. Run with `npm run bench` (builds first).
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CLI,
  firstHealth,
  fmt,
  freePort,
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

  const token = (await readFile(join(dir, 'credentials', 'gateway-token'), 'utf8')).trim();
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

  return {
    'cold start → first health (median of 5)': `${fmt(median(starts))}  (target ≤ 450 ms; runs: ${starts.map((s) => s.toFixed(0)).join(', ')})`,
    'idle RSS after start': `${(idleRss / 1024).toFixed(1)} MB  (target ≤ 70 MB)`,
    'health round trip p50 / p99 (1,000 calls)': `${fmt(percentile(times, 50), 3)} / ${fmt(percentile(times, 99), 3)}  (target p50 ≤ 0.3 ms)`,
    'one-shot `carapace health` (median of 5)': `${fmt(median(oneShot))}`,
  };
}
