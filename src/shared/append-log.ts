import { closeSync, fdatasync, openSync, write, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { type Deferred, deferred } from './deferred.js';

const fdatasyncAsync = promisify(fdatasync);
const writeAsync = promisify(write);

/**
 * Batches up to this size are written with one synchronous `write(2)` into the page cache (microseconds,
 * and no thread-pool round trip); larger ones, and every `fdatasync`, go through the thread pool.
 */
const SYNC_WRITE_MAX = 64 * 1024;

/**
 * Write all of `text` at the end of the file behind `fd` (opened for appending; a short write continues
 * where it stopped): synchronously when small, on the thread pool when large.
 */
async function writeAll(fd: number, text: string): Promise<void> {
  const bytes = Buffer.from(text, 'utf8');
  let off = 0;
  while (off < bytes.length) {
    const left = bytes.length - off;
    off +=
      left <= SYNC_WRITE_MAX
        ? writeSync(fd, bytes, off, left)
        : (await writeAsync(fd, bytes, off, left)).bytesWritten;
  }
}

/** Write all of `bytes` synchronously (a short write continues where it stopped). */
function writeAllSync(fd: number, bytes: Buffer): void {
  for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
}

interface Pending {
  text: string;
  durable: boolean;
  done: Deferred<void>;
}

/**
 * An append-only file kept open between writes, with group commit: appends queued while a write runs go
 * out together in one `write`, followed by one `fdatasync` when any of them asked to be durable.
 *
 * Every append resolves once its bytes are in the file (a process crash cannot lose them); a durable one
 * resolves once they are also synced (a power loss cannot). Appends land in call order. A small append
 * that need not be durable, made while an `fdatasync` runs and nothing waits behind it, is written at once
 * and resolves before that sync ends (it used to wait a whole sync for bytes that need none).
 *
 * Whoever replaces or renames the file must `close()` the log first; the next append reopens it.
 */
export class AppendLog {
  readonly path: string;
  readonly #mode: number;
  /** A previous log of the same path that is still closing: its writes land first. */
  #after: Promise<void> | undefined;
  /** The open file (opened synchronously: one `open(2)`, no thread-pool round trip). */
  #fd: number | undefined;
  #queue: Pending[] = [];
  #running: Promise<void> | undefined;
  /** The sync port: `fdatasync` on the thread pool. */
  readonly #sync: (fd: number) => Promise<void>;
  /** True while the drain waits for an `fdatasync` of everything written so far. */
  #syncing = false;

  constructor(
    path: string,
    options: { mode?: number; after?: Promise<void>; sync?: (fd: number) => Promise<void> } = {},
  ) {
    this.path = path;
    this.#mode = options.mode ?? 0o600;
    this.#after = options.after;
    this.#sync = options.sync ?? fdatasyncAsync;
  }

  /** Append `text`; with `durable`, resolve only after it is synced to disk. */
  append(text: string, durable: boolean): Promise<void> {
    const fd = this.#fd;
    if (!durable && this.#syncing && this.#queue.length === 0 && fd !== undefined) {
      // Everything appended before is in the file already: writing now keeps the order.
      if (text.length <= SYNC_WRITE_MAX / 3) {
        try {
          writeAllSync(fd, Buffer.from(text, 'utf8'));
          return Promise.resolve();
        } catch (err) {
          return Promise.reject(err);
        }
      }
    }
    const done = deferred<void>();
    this.#queue.push({ text, durable, done });
    this.#running ??= this.#drain();
    return done.promise;
  }

  /** True while appends are queued or being written. */
  get busy(): boolean {
    return this.#running !== undefined;
  }

  /** Wait for queued appends, then close the file (a later append reopens it). */
  async close(): Promise<void> {
    while (this.#running) await this.#running;
    this.#closeFd();
  }

  #closeFd(): void {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd !== undefined) closeSync(fd);
  }

  async #drain(): Promise<void> {
    // Let appends made in the same tick join the first write.
    await null;
    if (this.#after) {
      await this.#after;
      this.#after = undefined;
    }
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        try {
          this.#fd ??= openSync(this.path, 'a', this.#mode);
          const fd = this.#fd;
          await writeAll(fd, batch.length === 1 ? batch[0]!.text : batch.map((p) => p.text).join(''));
          if (batch.some((p) => p.durable)) {
            this.#syncing = true;
            try {
              await this.#sync(fd);
            } finally {
              this.#syncing = false;
            }
          }
          for (const p of batch) p.done.resolve();
        } catch (err) {
          // Drop the file: the next append reopens it (it may have been moved or the disk freed).
          try {
            this.#closeFd();
          } catch {
            // already unusable
          }
          for (const p of batch) p.done.reject(err);
        }
      }
    } finally {
      this.#running = undefined;
    }
  }
}

/**
 * A bounded set of open `AppendLog`s keyed by path (transcripts: one file per session). The least recently
 * used log is closed when more than `maxOpen` are open.
 */
export class AppendLogPool {
  readonly #logs = new Map<string, AppendLog>();
  /** Logs evicted or released whose handles are still closing, by path. */
  readonly #closing = new Map<string, Promise<void>>();
  readonly #maxOpen: number;
  readonly #mode: number;

  constructor(options: { maxOpen?: number; mode?: number } = {}) {
    this.#maxOpen = options.maxOpen ?? 64;
    this.#mode = options.mode ?? 0o600;
  }

  /** Append to `path` (see `AppendLog.append`). */
  append(path: string, text: string, durable: boolean): Promise<void> {
    let log = this.#logs.get(path);
    if (log) this.#logs.delete(path);
    else {
      const after = this.#closing.get(path);
      log = new AppendLog(path, { mode: this.#mode, ...(after ? { after } : {}) });
    }
    this.#logs.set(path, log);
    const written = log.append(text, durable);
    this.#evict();
    return written;
  }

  /** Close the log of `path` (before renaming, truncating or replacing that file). */
  async release(path: string): Promise<void> {
    const log = this.#logs.get(path);
    if (log) {
      this.#logs.delete(path);
      this.#closeLater(path, log);
    }
    await this.#closing.get(path);
  }

  /** Close every log. */
  async closeAll(): Promise<void> {
    for (const [path, log] of [...this.#logs]) {
      this.#logs.delete(path);
      this.#closeLater(path, log);
    }
    await Promise.all(this.#closing.values());
  }

  /** Open logs (for tests and diagnostics). */
  get size(): number {
    return this.#logs.size;
  }

  #evict(): void {
    if (this.#logs.size <= this.#maxOpen) return;
    for (const [path, log] of this.#logs) {
      if (this.#logs.size <= this.#maxOpen) break;
      this.#logs.delete(path);
      this.#closeLater(path, log);
    }
  }

  #closeLater(path: string, log: AppendLog): void {
    const previous = this.#closing.get(path);
    const closed: Promise<void> = (previous ?? Promise.resolve())
      .then(() => log.close())
      .catch(() => undefined)
      .finally(() => {
        if (this.#closing.get(path) === closed) this.#closing.delete(path);
      });
    this.#closing.set(path, closed);
  }
}
