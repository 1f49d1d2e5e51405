import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  AppendLog,
  CarapaceError,
  type Clock,
  type Deferred,
  deferred,
  errnoCode,
  newId,
  systemClock,
  writeFileAtomic,
} from '../shared/index.js';

/**
 * The durable inbox: every accepted inbound message is appended (and fsync'd) before it is acknowledged,
 * and marked answered when its outcome is recorded. Only accepts are synced: a lost `start` or `answer`
 * (power loss, not a process crash) replays a message whose final reply the transcript already holds, and
 * the turn answers it from there without running again. After a crash, `start()` hands back what was accepted
 * but never answered, so nothing accepted is lost and nothing answered is run again.
 *
 * File: JSONL, `{v:1, op:'accept', id, at, attempts, sessionKey?, payload}`, `{v:1, op:'start', id, at}`
 * (its turn began), `{v:1, op:'interrupted', id, at}` (that turn was cut short by a graceful stop: the start
 * no longer counts) and `{v:1, op:'answer', id, at, status?}`. A reader skips ops it does not know (an older
 * one reading `interrupted` only counts more starts, so it gives up sooner, never later); a line of a newer
 * version `v` is refused. Compacted (atomic replace, only open records kept, `attempts` folded into the
 * accept line) at start and when dead lines dominate.
 */

export const INBOX_VERSION = 1;

export interface InboxRecord<T> {
  id: string;
  payload: T;
  sessionKey?: string;
  /** Epoch ms when it was first accepted. */
  acceptedAt: number;
  /**
   * How many times its turn started (`markStarted`) and was neither answered nor `markInterrupted`: > 0
   * after a crash mid-turn.
   */
  attempts: number;
  /** True when it came back from a previous run of the gateway. */
  recovered: boolean;
}

export interface InboxOptions {
  file: string;
  clock?: Clock;
  /** Compact when the file exceeds this many bytes and most of it is answered records. Default 1 MiB. */
  compactBytes?: number;
}

interface AcceptLine {
  v: number;
  op: 'accept';
  id: string;
  at: number;
  attempts: number;
  sessionKey?: string;
  payload: unknown;
}

interface StartLine {
  v: number;
  op: 'start' | 'interrupted';
  id: string;
  at: number;
}

interface AnswerLine {
  v: number;
  op: 'answer';
  id: string;
  at: number;
  status?: string;
}

export interface AcceptResult<T> {
  record: InboxRecord<T>;
  /** false: newly accepted and on disk. 'open': already accepted, not answered. 'answered': already done. */
  duplicate: false | 'open' | 'answered';
}

interface Queued {
  text: string;
  live: number;
  durable: boolean;
  done: Deferred<void>;
}

/** A durable inbox of `T` (JSON-serializable payloads). Call `start()` once before use. */
export class Inbox<T> {
  private readonly file: string;
  private readonly clock: Clock;
  private readonly compactBytes: number;
  private readonly log: AppendLog;
  private readonly open = new Map<string, { record: InboxRecord<T>; bytes: number }>();
  /** Ids answered since the last compaction (so a second answer is recognised). */
  private readonly answered = new Set<string>();
  private queue: Queued[] = [];
  private writing = false;
  private flushed: Array<() => void> = [];
  private fileBytes = 0;
  private liveBytes = 0;
  private started = false;

  constructor(options: InboxOptions) {
    this.file = options.file;
    this.clock = options.clock ?? systemClock;
    this.compactBytes = options.compactBytes ?? 1024 * 1024;
    this.log = new AppendLog(this.file, { mode: 0o600 });
  }

  /** Load the file, rewrite it compactly, and return the accepted-but-unanswered records, once. */
  async start(): Promise<InboxRecord<T>[]> {
    if (this.started) throw new CarapaceError('INBOX_STARTED', 'the inbox was already started');
    this.started = true;
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    let text = '';
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    for (const line of text.split('\n')) this.replay(line);
    for (const { record } of this.open.values()) record.recovered = true;
    await this.compact();
    return [...this.open.values()].map(({ record }) => ({ ...record }));
  }

  /**
   * Persist a message; resolves once it is on disk. An id that is still open (`duplicate: 'open'`, the
   * stored record is returned) or was answered since the last compaction (`duplicate: 'answered'`) is
   * not written again: do not run it.
   */
  async accept(payload: T, options: { id?: string; sessionKey?: string } = {}): Promise<AcceptResult<T>> {
    this.requireStarted();
    const id = options.id ?? newId();
    const existing = this.open.get(id);
    if (existing) return { record: { ...existing.record }, duplicate: 'open' };
    const record: InboxRecord<T> = {
      id,
      payload,
      acceptedAt: this.clock.now(),
      attempts: 0,
      recovered: false,
    };
    if (options.sessionKey !== undefined) record.sessionKey = options.sessionKey;
    if (this.answered.has(id)) return { record, duplicate: 'answered' };
    const line = acceptLine(record);
    this.open.set(id, { record, bytes: Buffer.byteLength(line) });
    await this.enqueue(line, Buffer.byteLength(line), true);
    return { record: { ...record }, duplicate: false };
  }

  /** Mark a record answered (written, not synced: see the class note). False when it is not open (unknown, or answered before). */
  async answer(id: string, status?: string): Promise<boolean> {
    this.requireStarted();
    const entry = this.open.get(id);
    if (!entry) return false;
    this.open.delete(id);
    this.answered.add(id);
    const line: AnswerLine = { v: INBOX_VERSION, op: 'answer', id, at: this.clock.now() };
    if (status !== undefined) line.status = status;
    await this.enqueue(`${JSON.stringify(line)}\n`, -entry.bytes, false);
    return true;
  }

  /**
   * Record that the record's turn is starting. A record that keeps coming back with a growing `attempts`
   * crashed the gateway each time it ran (a poison message). Returns false when the id is not open.
   */
  async markStarted(id: string): Promise<boolean> {
    this.requireStarted();
    const entry = this.open.get(id);
    if (!entry) return false;
    entry.record.attempts++;
    const line: StartLine = { v: INBOX_VERSION, op: 'start', id, at: this.clock.now() };
    await this.enqueue(`${JSON.stringify(line)}\n`, 0, false);
    return true;
  }

  /**
   * Take back one `markStarted`: the turn did not crash the gateway, it was cut short on purpose (a graceful
   * stop) and will run again. Returns false when the id is not open or has no start to take back.
   */
  async markInterrupted(id: string): Promise<boolean> {
    this.requireStarted();
    const entry = this.open.get(id);
    if (!entry || entry.record.attempts === 0) return false;
    entry.record.attempts--;
    const line: StartLine = { v: INBOX_VERSION, op: 'interrupted', id, at: this.clock.now() };
    await this.enqueue(`${JSON.stringify(line)}\n`, 0, false);
    return true;
  }

  /** True when `id` was answered since the inbox last compacted. */
  wasAnswered(id: string): boolean {
    return this.answered.has(id);
  }

  /** The open (accepted, unanswered) records. */
  pending(): InboxRecord<T>[] {
    return [...this.open.values()].map(({ record }) => ({ ...record }));
  }

  /** Resolve when every queued write has finished, and close the file. */
  async stop(): Promise<void> {
    if (this.writing) await new Promise<void>((resolve) => this.flushed.push(resolve));
    await this.log.close();
  }

  private requireStarted(): void {
    if (!this.started) throw new CarapaceError('INBOX_NOT_STARTED', 'call inbox.start() before using it');
  }

  private replay(line: string): void {
    if (line.trim() === '') return;
    let value: AcceptLine | AnswerLine | StartLine;
    try {
      value = JSON.parse(line) as AcceptLine | AnswerLine | StartLine;
    } catch {
      return; // a torn last line: it was never acknowledged
    }
    if (typeof value?.id !== 'string') return;
    if (value.v > INBOX_VERSION) {
      throw new CarapaceError('INBOX_VERSION_UNSUPPORTED', `${this.file} has records of version ${value.v}`);
    }
    if (value.op === 'accept') {
      const record: InboxRecord<T> = {
        id: value.id,
        payload: value.payload as T,
        acceptedAt: value.at,
        attempts: value.attempts ?? 0,
        recovered: false,
      };
      if (value.sessionKey !== undefined) record.sessionKey = value.sessionKey;
      this.open.set(value.id, { record, bytes: 0 });
    } else if (value.op === 'answer') {
      this.open.delete(value.id);
    } else if (value.op === 'start') {
      const open = this.open.get(value.id);
      if (open) open.record.attempts++;
    } else if (value.op === 'interrupted') {
      const open = this.open.get(value.id);
      if (open) open.record.attempts = Math.max(0, open.record.attempts - 1);
    }
  }

  /** Group commit: lines queued while a write is running go out together, with one fsync if any needs it. */
  private enqueue(text: string, live: number, durable: boolean): Promise<void> {
    const done = deferred<void>();
    this.queue.push({ text, live, durable, done });
    if (!this.writing) void this.drain();
    return done.promise;
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        const text = batch.map((q) => q.text).join('');
        try {
          await this.log.append(
            text,
            batch.some((q) => q.durable),
          );
          this.fileBytes += Buffer.byteLength(text);
          for (const q of batch) this.liveBytes = Math.max(0, this.liveBytes + q.live);
          if (this.fileBytes > this.compactBytes && this.liveBytes * 2 < this.fileBytes) await this.compact();
          for (const q of batch) q.done.resolve();
        } catch (err) {
          for (const q of batch) q.done.reject(err);
        }
      }
    } finally {
      this.writing = false;
      for (const resolve of this.flushed.splice(0)) resolve();
    }
  }

  /** Rewrite the file with only the open records (atomic replace). */
  private async compact(): Promise<void> {
    let text = '';
    for (const entry of this.open.values()) {
      const line = acceptLine(entry.record);
      entry.bytes = Buffer.byteLength(line);
      text += line;
    }
    await this.log.close();
    await writeFileAtomic(this.file, text, { mode: 0o600 });
    this.fileBytes = Buffer.byteLength(text);
    this.liveBytes = this.fileBytes;
    this.answered.clear();
  }
}

function acceptLine<T>(record: InboxRecord<T>): string {
  const line: AcceptLine = {
    v: INBOX_VERSION,
    op: 'accept',
    id: record.id,
    at: record.acceptedAt,
    attempts: record.attempts,
    payload: record.payload,
  };
  if (record.sessionKey !== undefined) line.sessionKey = record.sessionKey;
  return `${JSON.stringify(line)}\n`;
}
