import { closeSync, openSync, writeFileSync } from 'node:fs';
import { readFile, truncate, writeFile } from 'node:fs/promises';
import { appendFileDurable, CarapaceError, type Clock, errnoCode, shortId } from '../shared/index.js';
import {
  type MessageEntry,
  TRANSCRIPT_VERSION,
  type TranscriptEntry,
  type TranscriptHeader,
} from './schema.js';

/**
 * One JSONL transcript per session: a versioned header line, then one entry per line. Appends are
 * fsync'd when losing them would lose an accepted message or a final reply. A crash can leave a torn
 * last line or a tool call without its result; `repairTranscript` fixes both before the file is used.
 */

/** The tool result written for a tool call that a crash left unanswered. */
export const INTERRUPTED_TOOL_RESULT = 'interrupted: the gateway stopped before this tool call finished';

/** The header line of a transcript, newline included. */
export function headerLine(header: Omit<TranscriptHeader, 'type' | 'version'>): string {
  const { id, sessionKey, agentId, createdAt } = header;
  return `${JSON.stringify({ type: 'session', version: TRANSCRIPT_VERSION, id, sessionKey, agentId, createdAt })}\n`;
}

/**
 * Create a transcript holding only its header. Fails with TRANSCRIPT_EXISTS if the file is there.
 * Synchronous open, write and close (tens of microseconds for a new file of one line), where three
 * thread-pool round trips used to cost more than the work itself: every new session makes one.
 */
export async function createTranscript(file: string, header: Omit<TranscriptHeader, 'type' | 'version'>) {
  const line = headerLine(header);
  try {
    const fd = openSync(file, 'wx', 0o600);
    try {
      // Not synced: a header lost to a power cut is written again by `openTranscript`.
      writeFileSync(fd, line);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') {
      throw new CarapaceError('TRANSCRIPT_EXISTS', `transcript ${file} already exists`, {
        details: { file },
      });
    }
    throw err;
  }
}

/** Entries as JSONL text (one line each, newline included). */
export function entryLines(entries: readonly TranscriptEntry[]): string {
  return entries.map((e) => `${JSON.stringify(e)}\n`).join('');
}

/** Append entries as lines; `durable` fsyncs before resolving. */
export async function appendEntries(file: string, entries: readonly TranscriptEntry[], durable: boolean) {
  if (entries.length === 0) return;
  await appendFileDurable(file, entryLines(entries), durable);
}

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A parsed transcript. Lines that are not JSON objects are skipped and counted. */
export interface LoadedTranscript {
  header: TranscriptHeader | undefined;
  entries: TranscriptEntry[];
  skippedLines: number;
}

/** Parse the text of a transcript. Refuses a header from a newer version (TRANSCRIPT_VERSION_UNSUPPORTED). */
export function parseTranscript(text: string, file = '<transcript>'): LoadedTranscript {
  let header: TranscriptHeader | undefined;
  const entries: TranscriptEntry[] = [];
  let skippedLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const value = parseLine(line);
    if (!value || typeof value.type !== 'string') {
      skippedLines++;
    } else if (value.type === 'session') {
      header = value as TranscriptHeader;
      if (typeof header.version !== 'number' || header.version > TRANSCRIPT_VERSION) {
        throw new CarapaceError(
          'TRANSCRIPT_VERSION_UNSUPPORTED',
          `transcript ${file} has version ${String(header.version)}; this build reads up to ${TRANSCRIPT_VERSION}`,
          { details: { file, version: header.version } },
        );
      }
    } else {
      entries.push(value as unknown as TranscriptEntry);
    }
  }
  return { header, entries, skippedLines };
}

/** Read and parse a whole transcript (for building a model context; history paging uses readHistory). */
export async function loadTranscript(file: string): Promise<LoadedTranscript> {
  return parseTranscript(await readFile(file, 'utf8'), file);
}

/** What `repairTranscript` did. */
export interface RepairReport {
  /** Bytes cut from the end (a torn or garbled tail); kept in `backupPath`. */
  tornBytes: number;
  backupPath?: string;
  /** Tool call ids that got an explicit interrupted result. */
  interruptedToolCalls: string[];
  /** The id of the last entry after the repair (null when the transcript has only its header). */
  lastId: string | null;
  /** The header line, or undefined when even it was torn (the caller writes a new one). */
  header: TranscriptHeader | undefined;
}

/** Cut unparseable lines off the end of `buf`; returns the length to keep and whether a newline is missing. */
function findIntactEnd(buf: Buffer): { keep: number; missingNewline: boolean } {
  let end = buf.length;
  while (end > 0) {
    const lineEnd = buf[end - 1] === 0x0a ? end - 1 : end;
    const start = buf.lastIndexOf(0x0a, lineEnd - 1) + 1;
    const line = buf.subarray(start, lineEnd).toString('utf8');
    if (line.trim() === '' && lineEnd !== end) {
      end = start;
      continue;
    }
    if (parseLine(line)) return { keep: end, missingNewline: lineEnd === end };
    end = start;
  }
  return { keep: 0, missingNewline: false };
}

/**
 * Make a transcript safe to use after a crash: cut a torn or garbled tail (the removed bytes go to
 * `<file>.torn-<ts>.bak`), end the file with a newline, and answer every assistant tool call that has no
 * tool result with an explicit error result, so the next model request is well-formed.
 */
export async function repairTranscript(file: string, clock: Clock): Promise<RepairReport> {
  const buf = await readFile(file);
  let { keep, missingNewline } = findIntactEnd(buf);
  if (buf.subarray(keep).toString('utf8').trim() === '') {
    // Only whitespace after the last intact line: nothing was torn.
    keep = buf.length;
    missingNewline = buf.length > 0 && buf[buf.length - 1] !== 0x0a;
  }
  const report: RepairReport = {
    tornBytes: buf.length - keep,
    interruptedToolCalls: [],
    lastId: null,
    header: undefined,
  };
  if (report.tornBytes > 0) {
    const trimmedTail = buf.subarray(keep);
    report.backupPath = `${file}.torn-${clock.now()}.bak`;
    await writeFile(report.backupPath, trimmedTail, { mode: 0o600 });
    await truncate(file, keep);
  }
  if (missingNewline) await appendFileDurable(file, '\n', true);
  const { header, entries } = parseTranscript(buf.subarray(0, keep).toString('utf8'), file);
  report.header = header;
  const answered = new Set<string>();
  const pending = new Map<string, string>();
  for (const entry of entries) {
    if (entry.type !== 'message') continue;
    if (entry.role === 'tool' && entry.toolCallId) answered.add(entry.toolCallId);
    for (const call of entry.role === 'assistant' ? (entry.toolCalls ?? []) : [])
      pending.set(call.id, call.name);
  }
  let lastId = entries.length > 0 ? entries[entries.length - 1]!.id : null;
  const fixes: MessageEntry[] = [];
  for (const [callId, name] of pending) {
    if (answered.has(callId)) continue;
    const entry: MessageEntry = {
      type: 'message',
      id: shortId(),
      parentId: lastId,
      ts: clock.now(),
      role: 'tool',
      toolCallId: callId,
      toolName: name,
      isError: true,
      content: INTERRUPTED_TOOL_RESULT,
    };
    fixes.push(entry);
    lastId = entry.id;
    report.interruptedToolCalls.push(callId);
  }
  await appendEntries(file, fixes, true);
  report.lastId = lastId;
  return report;
}

/**
 * Make `file` ready for appends: repair it, write a header if it has none (missing file, or a header torn
 * in a crash). Returns what the repair did; `lastId` is the parentId of the next entry.
 */
export async function openTranscript(
  file: string,
  header: Omit<TranscriptHeader, 'type' | 'version'>,
  clock: Clock,
): Promise<RepairReport> {
  try {
    const report = await repairTranscript(file, clock);
    if (!report.header) await appendFileDurable(file, headerLine(header), true);
    return report;
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
    await createTranscript(file, header);
    return { tornBytes: 0, interruptedToolCalls: [], lastId: null, header: undefined };
  }
}
