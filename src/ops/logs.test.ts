import { appendFile, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gatewayLogPath } from '../config/index.js';
import { sleep } from '../shared/index.js';
import { followLog, formatLogLine, readLastLines, tailGatewayLog } from './logs.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-logs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const record = (i: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ level: 30, time: Date.UTC(2025, 0, 2, 3, 4, 5, 6), pid: 1, msg: `line ${i}`, ...extra });

/** Wait (bounded) until `check` holds; the assertion after it says what was expected. */
async function until(check: () => boolean, ms = 10_000): Promise<void> {
  for (let waited = 0; !check() && waited < ms; waited += 20) await sleep(20);
}

describe('reading the log', () => {
  it('returns the last N lines, across 64 KB chunks', async () => {
    const file = join(dir, 'big.jsonl');
    const lines = Array.from({ length: 3000 }, (_, i) => record(i, { pad: 'x'.repeat(40) }));
    await writeFile(file, `${lines.join('\n')}\n`);
    expect(await readLastLines(file, 2500)).toEqual(lines.slice(-2500));
    expect(await readLastLines(file, 1)).toEqual([lines[2999]]);
    expect(await readLastLines(join(dir, 'none'), 5)).toEqual([]);
  });

  it('reaches into the rotated .1 file when the current one is short', async () => {
    await mkdir(join(dir, 'logs'));
    const file = gatewayLogPath(join(dir, 'logs'));
    expect(file).toBe(join(dir, 'logs', 'gateway.jsonl'));
    await writeFile(`${file}.1`, `${record(1)}\n${record(2)}\n`);
    await writeFile(file, `${record(3)}\n`);
    expect(await tailGatewayLog(join(dir, 'logs'), 2)).toEqual([record(2), record(3)]);
  });

  it('formats pino lines for people and leaves other lines alone', () => {
    const line = record(7, {
      subsystem: 'channels',
      accountId: 'main',
      err: { message: 'boom', stack: 'x' },
    });
    expect(formatLogLine(line)).toBe(
      '2025-01-02 03:04:05.006 INFO  [channels] line 7 accountId=main err="boom"',
    );
    expect(
      formatLogLine(JSON.stringify({ level: 50, msg: 'bad', n: 2 }), (l, t) => `<${l}>${t.trim()}`),
    ).toBe('<50>ERROR bad n=2');
    expect(formatLogLine('not json')).toBe('not json');
  });
});

describe('following the log', () => {
  it('picks up appended lines, waits for a partial line, and survives rotation', async () => {
    const file = join(dir, 'gateway.jsonl');
    await writeFile(file, `${record(0)}\n`);
    const seen: string[] = [];
    const ac = new AbortController();
    const done = followLog(file, { signal: ac.signal, intervalMs: 20, onLine: (l) => seen.push(l) });
    await sleep(50);
    await appendFile(file, `${record(1)}\n${record(2).slice(0, 10)}`);
    await until(() => seen.length >= 1);
    expect(seen).toEqual([record(1)]);
    await appendFile(file, `${record(2).slice(10)}\n`);
    await until(() => seen.length >= 2);
    expect(seen).toEqual([record(1), record(2)]);
    await rename(file, `${file}.1`);
    await writeFile(file, `${record(3)}\n`);
    await until(() => seen.length >= 3);
    ac.abort();
    await done;
    expect(seen).toEqual([record(1), record(2), record(3)]);
  });

  it('waits for a file that does not exist yet', async () => {
    const file = join(dir, 'later.jsonl');
    const seen: string[] = [];
    const ac = new AbortController();
    const done = followLog(file, { signal: ac.signal, intervalMs: 20, onLine: (l) => seen.push(l) });
    await sleep(50);
    await writeFile(file, `${record(1)}\n`);
    await until(() => seen.length >= 1);
    ac.abort();
    await done;
    expect(seen).toEqual([record(1)]);
  });
});
