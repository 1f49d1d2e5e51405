import { open, stat } from 'node:fs/promises';
import { gatewayLogPath } from '../config/index.js';
import { errnoCode, sleep } from '../shared/index.js';

const CHUNK = 64 * 1024;

/** The last `n` lines of `file` (read backwards in chunks); empty when the file does not exist. */
export async function readLastLines(file: string, n: number): Promise<string[]> {
  if (n <= 0) return [];
  const handle = await open(file, 'r').catch((err) => {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  });
  if (!handle) return [];
  try {
    let pos = (await handle.stat()).size;
    let tail = Buffer.alloc(0);
    let newlines = 0;
    while (pos > 0 && newlines <= n) {
      const size = Math.min(CHUNK, pos);
      pos -= size;
      const buf = Buffer.alloc(size);
      await handle.read(buf, 0, size, pos);
      for (const byte of buf) if (byte === 10) newlines++;
      tail = Buffer.concat([buf, tail]);
    }
    const lines = tail.toString('utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines.slice(-n);
  } finally {
    await handle.close();
  }
}

/** The last `n` log lines, reaching into the rotated `.1` file when the current one is shorter. */
export async function tailGatewayLog(logsDir: string, n: number): Promise<string[]> {
  const file = gatewayLogPath(logsDir);
  const current = await readLastLines(file, n);
  if (current.length >= n) return current;
  const older = await readLastLines(`${file}.1`, n - current.length);
  return [...older, ...current];
}

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'subsystem', 'v']);

/** Paints the level word (colors in a terminal); identity by default. */
export type LevelPainter = (level: number, text: string) => string;

function value(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  if (
    v &&
    typeof v === 'object' &&
    'message' in v &&
    typeof (v as { message: unknown }).message === 'string'
  ) {
    return JSON.stringify((v as { message: string }).message);
  }
  return JSON.stringify(v);
}

/**
 * One pino JSON line for people: `2025-01-02 10:11:12.345 INFO  [channels] message key=value …`.
 * A line that is not a JSON object is returned as it is.
 */
export function formatLogLine(line: string, paint: LevelPainter = (_, t) => t): string {
  let rec: Record<string, unknown>;
  try {
    const parsed = JSON.parse(line) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return line;
    rec = parsed as Record<string, unknown>;
  } catch {
    return line;
  }
  const time =
    typeof rec.time === 'number' ? new Date(rec.time).toISOString().replace('T', ' ').replace('Z', '') : '';
  const level = typeof rec.level === 'number' ? rec.level : 30;
  const name = (LEVELS[level] ?? String(level)).padEnd(5);
  const sub = typeof rec.subsystem === 'string' ? `[${rec.subsystem}] ` : '';
  const msg = typeof rec.msg === 'string' ? rec.msg : '';
  const rest = Object.entries(rec)
    .filter(([k]) => !HIDDEN.has(k))
    .map(([k, v]) => `${k}=${value(v)}`);
  return [time, paint(level, name), `${sub}${msg}`, ...rest].filter(Boolean).join(' ');
}

/** Options of `followLog`. */
export interface FollowOptions {
  /** Start reading here (bytes); default: the end of the file as it is now. */
  from?: number;
  /** How often to look for new lines. */
  intervalMs?: number;
  signal: AbortSignal;
  onLine: (line: string) => void;
}

/**
 * Call `onLine` for every complete line appended to `file` until `signal` aborts. Polls (works on every
 * filesystem); a file that appears later is picked up, and one that shrinks or is replaced (rotation) is
 * read again from its start. A partial last line waits for its newline.
 */
export async function followLog(file: string, options: FollowOptions): Promise<void> {
  const interval = options.intervalMs ?? 250;
  let offset =
    options.from ??
    (await stat(file).then(
      (s) => s.size,
      () => 0,
    ));
  let ino: number | undefined;
  let pending = Buffer.alloc(0);
  while (!options.signal.aborted) {
    const s = await stat(file).catch(() => undefined);
    if (s) {
      if ((ino !== undefined && s.ino !== ino) || s.size < offset) {
        offset = 0;
        pending = Buffer.alloc(0);
      }
      ino = s.ino;
      if (s.size > offset) {
        const handle = await open(file, 'r');
        try {
          const buf = Buffer.alloc(s.size - offset);
          const { bytesRead } = await handle.read(buf, 0, buf.length, offset);
          offset += bytesRead;
          pending = Buffer.concat([pending, buf.subarray(0, bytesRead)]);
        } finally {
          await handle.close();
        }
        // Split on bytes, so a character cut between two reads is decoded whole.
        let nl = pending.indexOf(10);
        while (nl >= 0) {
          const line = pending.subarray(0, nl).toString('utf8');
          pending = pending.subarray(nl + 1);
          if (line !== '') options.onLine(line);
          nl = pending.indexOf(10);
        }
      }
    }
    await sleep(interval, options.signal).catch(() => undefined);
  }
}
