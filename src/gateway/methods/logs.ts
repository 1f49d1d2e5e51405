import { open, stat } from 'node:fs/promises';
import { type LogsTailResult, METHOD_SPECS } from '../../protocol/index.js';
import { errnoCode } from '../../shared/index.js';
import type { MethodRegistry } from '../registry.js';

interface TailParams {
  cursor?: number;
  limit?: number;
  maxBytes?: number;
}

/**
 * Read whole lines of `file` after byte offset `cursor`; without a cursor, the last `limit` lines.
 * A cursor past the end (the file was rotated) restarts from the beginning with `reset: true`.
 */
export async function tailLog(file: string, params: TailParams): Promise<LogsTailResult> {
  const limit = params.limit ?? 200;
  const maxBytes = params.maxBytes ?? 256 * 1024;
  let size = 0;
  try {
    size = (await stat(file)).size;
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
    return { file, cursor: 0, size: 0, lines: [], truncated: false, reset: false };
  }
  let reset = false;
  let start: number;
  if (params.cursor === undefined) start = Math.max(0, size - maxBytes);
  else if (params.cursor > size) {
    reset = true;
    start = 0;
  } else start = params.cursor;
  const length = Math.min(size - start, maxBytes);
  const buf = Buffer.alloc(length);
  const handle = await open(file, 'r');
  try {
    await handle.read(buf, 0, length, start);
  } finally {
    await handle.close();
  }
  let text = buf.toString('utf8');
  let offset = start;
  if (params.cursor === undefined && start > 0) {
    const nl = text.indexOf('\n');
    offset += Buffer.byteLength(text.slice(0, nl + 1));
    text = text.slice(nl + 1);
  }
  const lastNl = text.lastIndexOf('\n');
  const complete = lastNl >= 0 ? text.slice(0, lastNl) : '';
  let lines = complete === '' ? [] : complete.split('\n');
  let end = offset + Buffer.byteLength(lastNl >= 0 ? text.slice(0, lastNl + 1) : '');
  let truncated = start + length < size;
  if (params.cursor === undefined) {
    if (lines.length > limit) truncated = true;
    lines = lines.slice(-limit);
  } else if (lines.length > limit) {
    const kept = lines.slice(0, limit);
    end = offset + kept.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    lines = kept;
    truncated = true;
  }
  return { file, cursor: end, size, lines, truncated, reset };
}

/** `logs.tail` over the gateway's own JSON-lines log (already redacted when written). */
export function registerLogMethods(
  registry: MethodRegistry,
  deps: { logFile(): string; flush(): void },
): void {
  registry.register('logs.tail', {
    spec: METHOD_SPECS['logs.tail'],
    handler: (params: TailParams) => {
      deps.flush();
      return tailLog(deps.logFile(), params);
    },
  });
}
