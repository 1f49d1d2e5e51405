import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EndRecord, StartRecord } from './run-log.js';
import { checkExactlyOnce, readRunLogs, tempCronDir } from './test-support.js';

const CHILD = fileURLToPath(new URL('./sigkill-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const KILLS = 5;
const children = new Set<ChildProcess>();
let bundle = '';

// One bundled file starts in a fraction of the time of hundreds of TypeScript modules through a loader.
beforeAll(async () => {
  bundle = join(await tempCronDir(), 'sigkill-child.mjs');
  await build({
    absWorkingDir: ROOT,
    entryPoints: [CHILD],
    outfile: bundle,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
});
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

function startChild(cronDir: string, effects: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [bundle, cronDir, '300', '200', effects], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let err = '';
  child.stderr?.on('data', (d) => {
    err += String(d);
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d) => {
      if (String(d).includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before it was ready: ${err}`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function counts(cronDir: string) {
  const all = await readRunLogs(cronDir);
  const starts = all.filter((r): r is StartRecord => r.type === 'start');
  const ends = all.filter((r): r is EndRecord => r.type === 'end');
  return { starts: starts.length, ends: ends.length, ok: ends.filter((e) => e.status === 'ok').length };
}

describe('exactly once with a real process killed mid-run (REL-07)', () => {
  it(`SIGKILL during ${KILLS} runs, restart: every slot once, completed or interrupted`, {
    timeout: 120_000,
  }, async () => {
    const dir = await tempCronDir();
    const cronDir = join(dir, 'cron');
    const effects = join(dir, 'effects.log');
    for (let k = 0; k < KILLS; k++) {
      const child = await startChild(cronDir, effects);
      // Wait for a run that has started and not ended, then kill the process in the middle of it.
      let open = false;
      while (!open) {
        const c = await counts(cronDir);
        open = c.starts > c.ends;
        if (!open) await new Promise((r) => setTimeout(r, 5));
      }
      child.kill('SIGKILL');
      await exited(child);
    }
    const last = await startChild(cronDir, effects);
    const before = await counts(cronDir);
    for (;;) {
      const c = await counts(cronDir);
      if (c.ok >= before.ok + 3) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    last.kill('SIGTERM');
    expect(await exited(last)).toBe(0);

    const stats = checkExactlyOnce(await readRunLogs(cronDir));
    expect(stats.interrupted).toBeGreaterThanOrEqual(Math.ceil(KILLS / 2));
    const turns = (await readFile(effects, 'utf8')).split('\n').filter(Boolean);
    expect(turns.length).toBeLessThanOrEqual(stats.runs);
  });
});
