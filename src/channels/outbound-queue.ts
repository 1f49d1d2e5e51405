import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { appendFileDurable, type Clock, errnoCode, writeFileAtomic } from '../shared/index.js';

/**
 * One outbound chunk. States: `queued` (recorded, not yet tried), `sending` (a send was started and its
 * outcome is not recorded yet), `sent`, `failed` (the platform refused it or retries ran out), `unknown`
 * (the response was lost: it may have been delivered, so it is not sent again).
 */
export interface QueuedChunk {
  id: string;
  /** The message this chunk belongs to (an idempotency key); ids are `<key>#<index>`. */
  key: string;
  index: number;
  count: number;
  to: string;
  text: string;
  replyTo?: string;
  threadId?: string;
  createdAt: number;
  state: 'queued' | 'sending' | 'sent' | 'failed' | 'unknown';
  attempts: number;
  messageId?: string;
  error?: string;
  /** Resent after a restart that found it `sending`: the platform may show it twice. */
  possibleDuplicate?: boolean;
  /** When it became `sent`, `failed` or `unknown`. */
  finishedAt?: number;
}

/** What the queue holds, for `channels.status`: messages are counted by key (one reply, one message). */
export interface QueueSummary {
  /** Chunks recorded and not finished yet (waiting, sending or backing off). */
  pending: number;
  /** Messages with a chunk that finally failed (among the remembered ones). */
  failed: number;
  /** Messages with a chunk whose outcome is unknown (a lost response; not resent). */
  unknown: number;
  /** The newest failure: when and why. */
  lastFailure?: { at: number; error: string; state: 'failed' | 'unknown' };
}

type Record_ =
  | { v: 1; t: 'chunk'; c: QueuedChunk }
  | { v: 1; t: 'sending'; id: string; at: number }
  | { v: 1; t: 'retry'; id: string; at: number }
  | { v: 1; t: 'sent'; id: string; at: number; messageId: string }
  | { v: 1; t: 'failed' | 'unknown'; id: string; at: number; error: string };

/** Finished chunks remembered (for idempotent re-enqueues) after a compaction. */
const KEEP_DONE = 1000;
/** Records appended between compactions. */
const COMPACT_EVERY = 5000;
/** How much history the queue keeps. */
export interface QueueLimits {
  /** Finished chunks kept at a compaction (re-enqueueing their keys is still a no-op). */
  keepDone: number;
  /** Records appended between compactions. */
  compactEvery: number;
}

/** Chunks older than this are not resent after a restart. */
export const OUTBOUND_MAX_AGE_MS = 24 * 60 * 60 * 1000;

const done = (c: QueuedChunk) => c.state === 'sent' || c.state === 'failed' || c.state === 'unknown';

/**
 * The durable outbound queue of one channel account: an append-only JSONL file, fsync'd on every state
 * change. A chunk is recorded before it is sent and marked sent after, so after a crash a chunk never
 * tried is sent, and one whose send was in flight is sent again flagged `possibleDuplicate` (at most one
 * duplicate, and it is recorded). Re-enqueueing a known key returns the recorded chunks: a message is
 * delivered once however often it is asked for.
 */
export class OutboundQueue {
  readonly #chunks = new Map<string, QueuedChunk>();
  #lines = 0;
  #compactAt: number;
  #writes: Promise<void> = Promise.resolve();
  #recovered: QueuedChunk[] = [];

  private constructor(
    readonly path: string,
    private readonly clock: Clock,
    private readonly limits: QueueLimits,
  ) {
    this.#compactAt = limits.compactEvery;
  }

  static async open(path: string, clock: Clock, limits: Partial<QueueLimits> = {}): Promise<OutboundQueue> {
    const queue = new OutboundQueue(path, clock, {
      keepDone: KEEP_DONE,
      compactEvery: COMPACT_EVERY,
      ...limits,
    });
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      queue.#lines++;
      queue.#compactAt = queue.#lines + queue.limits.compactEvery;
      try {
        queue.#apply(JSON.parse(line) as Record_);
      } catch {
        // A torn last line from a crash: the record it would have written is lost, the rest stands.
      }
    }
    queue.#recover();
    return queue;
  }

  /** Chunks of `key`, in order (empty when unknown). */
  byKey(key: string): QueuedChunk[] {
    const out: QueuedChunk[] = [];
    for (let i = 0; ; i++) {
      const c = this.#chunks.get(`${key}#${i}`);
      if (!c) return out;
      out.push(c);
    }
  }

  get(id: string): QueuedChunk | undefined {
    return this.#chunks.get(id);
  }

  /** Record the chunks of one message (once per key; a known key returns its recorded chunks). */
  async enqueue(
    key: string,
    to: string,
    texts: readonly string[],
    opts: { replyTo?: string | undefined; threadId?: string | undefined } = {},
  ): Promise<QueuedChunk[]> {
    const known = this.byKey(key);
    if (known.length > 0) return known;
    const now = this.clock.now();
    const chunks = texts.map((text, index) => {
      const c: QueuedChunk = {
        id: `${key}#${index}`,
        key,
        index,
        count: texts.length,
        to,
        text,
        createdAt: now,
        state: 'queued',
        attempts: 0,
      };
      if (opts.replyTo !== undefined) c.replyTo = opts.replyTo;
      if (opts.threadId !== undefined) c.threadId = opts.threadId;
      return c;
    });
    await this.#append(chunks.map((c) => ({ v: 1, t: 'chunk', c }) as const));
    return chunks;
  }

  markSending(id: string): Promise<void> {
    return this.#append([{ v: 1, t: 'sending', id, at: this.clock.now() }]);
  }
  /** A send failed in a way that is safe to retry: back to `queued`. */
  markRetry(id: string): Promise<void> {
    return this.#append([{ v: 1, t: 'retry', id, at: this.clock.now() }]);
  }
  markSent(id: string, messageId: string): Promise<void> {
    return this.#append([{ v: 1, t: 'sent', id, at: this.clock.now(), messageId }]);
  }
  markFailed(id: string, error: string): Promise<void> {
    return this.#append([{ v: 1, t: 'failed', id, at: this.clock.now(), error }]);
  }
  markUnknown(id: string, error: string): Promise<void> {
    return this.#append([{ v: 1, t: 'unknown', id, at: this.clock.now(), error }]);
  }

  /** Chunks a previous process left unfinished, oldest first; handed out once. */
  takeRecovered(): QueuedChunk[] {
    const out = this.#recovered;
    this.#recovered = [];
    return out;
  }

  /** Chunks not finished yet. */
  unfinished(): QueuedChunk[] {
    return [...this.#chunks.values()].filter((c) => !done(c));
  }

  /** Pending chunks, failed and unknown messages, and the newest failure (expired chunks included). */
  summary(): QueueSummary {
    let pending = 0;
    const failed = new Set<string>();
    const unknown = new Set<string>();
    let last: QueueSummary['lastFailure'];
    for (const c of this.#chunks.values()) {
      if (!done(c)) pending++;
      else if (c.state === 'failed' || c.state === 'unknown') {
        (c.state === 'failed' ? failed : unknown).add(c.key);
        const at = c.finishedAt ?? c.createdAt;
        if (!last || at >= last.at) last = { at, error: c.error ?? c.state, state: c.state };
      }
    }
    const out: QueueSummary = { pending, failed: failed.size, unknown: unknown.size };
    if (last) out.lastFailure = last;
    return out;
  }

  async close(): Promise<void> {
    await this.#writes;
  }

  #apply(r: Record_): void {
    if (r.t === 'chunk') {
      this.#chunks.set(r.c.id, { ...r.c });
      return;
    }
    const c = this.#chunks.get(r.id);
    if (!c) return;
    if (r.t === 'sending') {
      c.state = 'sending';
      c.attempts++;
    } else if (r.t === 'retry') {
      c.state = 'queued';
    } else if (r.t === 'sent') {
      c.state = 'sent';
      c.messageId = r.messageId;
      c.finishedAt = r.at;
    } else {
      c.state = r.t;
      c.error = r.error;
      c.finishedAt = r.at;
    }
  }

  #recover(): void {
    const now = this.clock.now();
    for (const c of this.#chunks.values()) {
      if (done(c)) continue;
      if (now - c.createdAt > OUTBOUND_MAX_AGE_MS) {
        c.state = 'failed';
        c.error = 'expired before it could be sent';
        c.finishedAt = now;
        continue;
      }
      if (c.state === 'sending') c.possibleDuplicate = true;
      c.state = 'queued';
      this.#recovered.push(c);
    }
    this.#recovered.sort((a, b) => a.createdAt - b.createdAt || a.index - b.index);
  }

  #append(records: Record_[]): Promise<void> {
    for (const r of records) this.#apply(r);
    const next = this.#writes.then(async () => {
      if (this.#lines >= this.#compactAt) {
        await this.#compact();
        this.#compactAt = this.#lines + this.limits.compactEvery;
      }
      this.#lines += records.length;
      await appendFileDurable(this.path, records.map((r) => `${JSON.stringify(r)}\n`).join(''), true);
    });
    this.#writes = next.catch(() => {});
    return next;
  }

  /** Rewrite the file as one snapshot per kept chunk: every unfinished one and the newest finished ones. */
  async #compact(): Promise<void> {
    const finished = [...this.#chunks.values()].filter(done).sort((a, b) => a.createdAt - b.createdAt);
    for (const c of finished.slice(0, Math.max(0, finished.length - this.limits.keepDone)))
      this.#chunks.delete(c.id);
    const lines = [...this.#chunks.values()].map((c) => `${JSON.stringify({ v: 1, t: 'chunk', c })}\n`);
    await writeFileAtomic(this.path, lines.join(''), { mode: 0o600 });
    this.#lines = lines.length;
  }
}
