import { type FileHandle, open } from 'node:fs/promises';
import { CarapaceError } from '../shared/index.js';
import type { MessageEntry } from './schema.js';

/**
 * Reading a transcript from its end without reading the whole file: lines are produced newest first by
 * reading fixed-size chunks backwards, so the cost of a page is the size of the page, not of the file.
 */

const CHUNK = 64 * 1024;

/** One line and the byte offset where it starts. */
export interface LineAt {
  line: string;
  start: number;
}

/** Lines of `handle` that end at or before byte `end`, newest first. A partial line at `end` is included. */
export async function* linesBackward(
  handle: FileHandle,
  end: number,
  chunkSize = CHUNK,
): AsyncGenerator<LineAt> {
  let pos = end;
  let carry: Buffer = Buffer.alloc(0);
  let carryStart = end;
  // A line that ends exactly at `end` without a newline is still a line; a trailing newline is not.
  let skipFinalNewline = true;
  while (pos > 0) {
    const size = Math.min(chunkSize, pos);
    pos -= size;
    const chunk = Buffer.alloc(size);
    const { bytesRead } = await handle.read(chunk, 0, size, pos);
    let buf = Buffer.concat([chunk.subarray(0, bytesRead), carry]);
    const bufStart = pos;
    if (skipFinalNewline && buf.length > 0) {
      skipFinalNewline = false;
      if (buf[buf.length - 1] === 0x0a) buf = buf.subarray(0, buf.length - 1);
    }
    let nl = buf.lastIndexOf(0x0a);
    let lineEnd = buf.length;
    while (nl >= 0) {
      yield { line: buf.subarray(nl + 1, lineEnd).toString('utf8'), start: bufStart + nl + 1 };
      lineEnd = nl;
      nl = nl === 0 ? -1 : buf.lastIndexOf(0x0a, nl - 1);
    }
    carry = buf.subarray(0, lineEnd);
    carryStart = bufStart;
  }
  if (carry.length > 0) yield { line: carry.toString('utf8'), start: carryStart };
}

export interface HistoryOptions {
  /** Messages per page, 1..1000 (default 50). */
  limit?: number;
  /** From a previous page: read messages that start before this byte offset. Absent: the newest page. */
  cursor?: number;
}

export interface HistoryPage {
  /** Oldest first. */
  messages: MessageEntry[];
  /** True when older messages exist; pass `cursor` to get them. */
  hasMore: boolean;
  cursor?: number;
}

function parseMessage(line: string): MessageEntry | 'header' | undefined {
  try {
    const value = JSON.parse(line) as { type?: unknown };
    if (value?.type === 'session') return 'header';
    return value?.type === 'message' ? (value as MessageEntry) : undefined;
  } catch {
    return undefined; // a torn or garbled line: not a message
  }
}

/**
 * A page of messages read from the end of a transcript. Only as many chunks as the page needs are read.
 * Throws INVALID_CURSOR for a cursor outside the file.
 */
export async function readHistory(file: string, options: HistoryOptions = {}): Promise<HistoryPage> {
  const limit = options.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new CarapaceError(
      'INVALID_HISTORY_LIMIT',
      `history limit must be an integer 1..1000, got ${limit}`,
    );
  }
  const handle = await open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    const cursor = options.cursor ?? size;
    if (!Number.isInteger(cursor) || cursor < 0 || cursor > size) {
      throw new CarapaceError(
        'INVALID_CURSOR',
        `history cursor ${String(options.cursor)} is outside the transcript`,
        {
          details: { cursor: options.cursor, size },
        },
      );
    }
    const messages: MessageEntry[] = [];
    let oldestStart = cursor;
    for await (const { line, start } of linesBackward(handle, cursor)) {
      const parsed = parseMessage(line);
      if (parsed === 'header') break;
      if (!parsed) continue;
      if (messages.length === limit) {
        return { messages: messages.reverse(), hasMore: true, cursor: oldestStart };
      }
      messages.push(parsed);
      oldestStart = start;
    }
    return { messages: messages.reverse(), hasMore: false };
  } finally {
    await handle.close();
  }
}

/** The id of the newest entry (not the header), or null when the transcript has none. Reads from the end. */
export async function readLastEntryId(file: string): Promise<string | null> {
  const handle = await open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    for await (const { line } of linesBackward(handle, size, 4096)) {
      try {
        const value = JSON.parse(line) as { type?: unknown; id?: unknown };
        if (value?.type === 'session') return null;
        if (typeof value?.id === 'string') return value.id;
      } catch {
        // skip a garbled line
      }
    }
    return null;
  } finally {
    await handle.close();
  }
}
