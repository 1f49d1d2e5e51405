import { readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { AppendLog, errnoCode } from '../shared/index.js';
import { saveIndex } from './index-file.js';
import type { SessionEntry } from './schema.js';

/**
 * `sessions.json.journal`: the changes to `sessions.json` since it was last written. Each change to an
 * index entry appends one line (`{"op":"put","entry":{…}}` or `{"op":"del","key":"…"}`) instead of
 * rewriting the whole index, and the journal is folded into `sessions.json` (atomic replace) once it holds
 * `compactLines` lines, on `flush()`, and when the store closes.
 *
 * Loading reads `sessions.json`, then replays the journal over it. A put carries the whole entry, so
 * replaying lines that the snapshot already contains (a crash between writing the snapshot and emptying
 * the journal) is harmless. A torn last line is skipped.
 */

export const JOURNAL_FILE = 'sessions.json.journal';

type JournalLine = { op: 'put'; entry: SessionEntry } | { op: 'del'; key: string };

/** Apply the journal of `dir` to `sessions` (in place); returns how many lines it had. */
export async function replayJournal(dir: string, sessions: Map<string, SessionEntry>): Promise<number> {
  let text: string;
  try {
    text = await readFile(join(dir, JOURNAL_FILE), 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return 0;
    throw err;
  }
  // A torn tail (no newline at the end) is cut off, so the next append starts on a line of its own.
  const end = text.lastIndexOf('\n') + 1;
  if (end < text.length) {
    await truncate(join(dir, JOURNAL_FILE), Buffer.byteLength(text.slice(0, end)));
    text = text.slice(0, end);
  }
  let lines = 0;
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    let line: JournalLine;
    try {
      line = JSON.parse(raw) as JournalLine;
    } catch {
      continue; // not JSON: skip it rather than lose the lines after it
    }
    lines++;
    if (line?.op === 'put' && typeof line.entry?.sessionKey === 'string') {
      sessions.set(line.entry.sessionKey, line.entry);
    } else if (line?.op === 'del' && typeof line.key === 'string') {
      sessions.delete(line.key);
    }
  }
  return lines;
}

export interface IndexJournalOptions {
  dir: string;
  agentId: string;
  /** The live index (the snapshot written on compaction). */
  sessions: () => ReadonlyMap<string, SessionEntry>;
  /** Lines already in the journal when it was opened. */
  lines?: number;
  /** Fold the journal into `sessions.json` after this many lines. Default 2,000. */
  compactLines?: number;
}

/** Appends index changes and folds them into `sessions.json` now and then (see the file note). */
export class IndexJournal {
  readonly #options: IndexJournalOptions;
  readonly #log: AppendLog;
  readonly #compactLines: number;
  #lines: number;
  #compacting: Promise<void> | undefined;
  #dirty: boolean;

  constructor(options: IndexJournalOptions) {
    this.#options = options;
    this.#log = new AppendLog(join(options.dir, JOURNAL_FILE), { mode: 0o600 });
    this.#compactLines = options.compactLines ?? 2000;
    this.#lines = options.lines ?? 0;
    this.#dirty = this.#lines > 0;
  }

  /** Record the current state of `entry`. `durable`: synced before resolving (new, reset, deleted keys). */
  put(entry: SessionEntry, durable: boolean): Promise<void> {
    return this.#append({ op: 'put', entry }, durable);
  }

  /** Record that `key` was removed. */
  delete(key: string, durable: boolean): Promise<void> {
    return this.#append({ op: 'del', key }, durable);
  }

  /** True while a write or a compaction is under way. */
  get busy(): boolean {
    return this.#log.busy || this.#compacting !== undefined;
  }

  /** Fold the journal into `sessions.json` now (when it has anything), and wait for it. */
  async flush(): Promise<void> {
    while (this.#compacting) await this.#compacting.catch(() => undefined);
    if (this.#dirty) await this.#compact();
  }

  /** Flush, then close the journal file. */
  async close(): Promise<void> {
    await this.flush();
    await this.#log.close();
  }

  async #append(line: JournalLine, durable: boolean): Promise<void> {
    const text = `${JSON.stringify(line)}\n`;
    while (this.#compacting) await this.#compacting.catch(() => undefined);
    this.#dirty = true;
    const written = this.#log.append(text, durable);
    if (++this.#lines >= this.#compactLines) void this.#compact().catch(() => undefined);
    await written;
  }

  #compact(): Promise<void> {
    this.#compacting ??= (async () => {
      try {
        // Every line appended so far is in memory; the snapshot below includes it.
        await this.#log.close();
        const { dir, agentId, sessions } = this.#options;
        this.#dirty = false;
        await saveIndex(dir, agentId, sessions());
        await truncate(join(dir, JOURNAL_FILE), 0).catch((err) => {
          if (errnoCode(err) !== 'ENOENT') throw err;
        });
        this.#lines = 0;
      } catch (err) {
        this.#dirty = true;
        throw err;
      } finally {
        this.#compacting = undefined;
      }
    })();
    return this.#compacting;
  }
}
