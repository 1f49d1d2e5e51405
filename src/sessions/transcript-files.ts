import { access, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { AppendLogPool, type Clock, errnoCode, shortId } from '../shared/index.js';
import { type HistoryOptions, type HistoryPage, readHistory } from './history.js';
import { type SessionEntry, TRANSCRIPT_VERSION, type TranscriptEntry } from './schema.js';
import type { SessionStoreOptions } from './store-types.js';
import {
  createTranscript,
  entryLines,
  type LoadedTranscript,
  loadTranscript,
  openTranscript,
} from './transcript.js';
import { TranscriptCache } from './transcript-cache.js';

export interface TranscriptFilesOptions extends Pick<SessionStoreOptions, 'agentId' | 'dir' | 'onRepair'> {
  clock: Clock;
}

/**
 * The transcript files of one store: their paths, open append handles, repair on first use in this
 * process, the last entry id of each (the next entry's `parentId`) and the parsed transcripts of recent
 * sessions. Knows nothing of the index; the store says which session and when.
 */
export class TranscriptFiles {
  readonly #options: TranscriptFilesOptions;
  /** Last entry id per transcript touched in this process (and thereby repaired). */
  readonly #lastIds = new Map<string, string | null>();
  /** Open transcript files (appends keep their handle). */
  readonly #logs = new AppendLogPool({ maxOpen: 32 });
  /** Parsed transcripts of recent sessions, kept in step with appends. */
  readonly #cache = new TranscriptCache();

  constructor(options: TranscriptFilesOptions) {
    this.#options = options;
  }

  /** The transcript file of a session id. */
  path(sessionId: string): string {
    return join(this.#options.dir, `${sessionId}.jsonl`);
  }

  /** Write the transcript (header only) of a new session; it starts with no entries. */
  async create(entry: SessionEntry): Promise<void> {
    const header = this.#headerOf(entry);
    await createTranscript(this.path(entry.sessionId), header);
    this.#lastIds.set(entry.sessionId, null);
    this.#cache.set(entry.sessionId, {
      header: { type: 'session', version: TRANSCRIPT_VERSION, ...header },
      entries: [],
      skippedLines: 0,
    });
  }

  /** Repair the transcript on first use in this process; returns the id to use as the next parentId. */
  async prepare(entry: SessionEntry): Promise<string | null> {
    const known = this.#lastIds.get(entry.sessionId);
    if (known !== undefined) return known;
    const file = this.path(entry.sessionId);
    // A repair may truncate the file: no handle of ours may be writing to it meanwhile.
    await this.#logs.release(file);
    this.#cache.delete(entry.sessionId);
    const report = await openTranscript(file, this.#headerOf(entry), this.#options.clock);
    if (report.tornBytes > 0 || report.interruptedToolCalls.length > 0) {
      this.#options.onRepair?.({ sessionKey: entry.sessionKey, sessionId: entry.sessionId, report });
    }
    this.#lastIds.set(entry.sessionId, report.lastId);
    return report.lastId;
  }

  /** Append `record` to the file (`durable`: fsync'd). Call `advance` once the append counts. */
  write(sessionId: string, record: TranscriptEntry, durable: boolean): Promise<void> {
    return this.#logs.append(this.path(sessionId), entryLines([record]), durable);
  }

  /** `record` was appended: it becomes the next parentId and joins the cached transcript. */
  advance(sessionId: string, record: TranscriptEntry): void {
    this.#lastIds.set(sessionId, record.id);
    this.#cache.append(sessionId, record);
  }

  /** The whole transcript of `entry`, repaired first; from the cache when held. */
  async load(entry: SessionEntry): Promise<LoadedTranscript> {
    await this.prepare(entry);
    let loaded = this.#cache.get(entry.sessionId);
    if (!loaded) {
      loaded = await loadTranscript(this.path(entry.sessionId));
      this.#cache.set(entry.sessionId, loaded);
    }
    return loaded;
  }

  /** A page of messages from the end of the transcript; an empty page when the file is missing. */
  async history(sessionId: string, options: HistoryOptions): Promise<HistoryPage> {
    try {
      return await readHistory(this.path(sessionId), options);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
      return { messages: [], hasMore: false };
    }
  }

  /**
   * End the transcript of `old` (if it exists) with a reset record pointing at `nextSessionId`, close
   * it and forget it.
   */
  async endWithReset(old: SessionEntry, reason: string, ts: number, nextSessionId: string): Promise<void> {
    const file = this.path(old.sessionId);
    if (await exists(file)) {
      const parentId = await this.prepare(old);
      const record = { type: 'reset' as const, id: shortId(), parentId, ts, reason };
      await this.#logs.append(file, entryLines([{ ...record, nextSessionId }]), true);
      await this.#logs.release(file);
    }
    this.#forget(old.sessionId);
  }

  /** Rename the transcript to `<file>.deleted.<now>` (a missing file is fine) and forget it. */
  async archive(sessionId: string, now: number): Promise<string> {
    const file = this.path(sessionId);
    const archivedPath = `${file}.deleted.${now}`;
    await this.#logs.release(file);
    try {
      await rename(file, archivedPath);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    this.#forget(sessionId);
    return archivedPath;
  }

  /** Forget every last id and cached transcript (the index was dropped); handles stay open. */
  clear(): void {
    this.#lastIds.clear();
    this.#cache.clear();
  }

  /** Close every open file (reopened by the next append). */
  closeAll(): Promise<void> {
    return this.#logs.closeAll();
  }

  #forget(sessionId: string): void {
    this.#lastIds.delete(sessionId);
    this.#cache.delete(sessionId);
  }

  #headerOf(entry: SessionEntry) {
    return {
      id: entry.sessionId,
      sessionKey: entry.sessionKey,
      agentId: this.#options.agentId,
      createdAt: entry.createdAt,
    };
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
