import { mkdir } from 'node:fs/promises';
import { CarapaceError, type Clock } from '../shared/index.js';
import { loadIndex } from './index-file.js';
import { IndexJournal, replayJournal } from './index-journal.js';
import type { SessionEntry } from './schema.js';
import type { SessionStoreOptions } from './store-types.js';

export interface SessionIndexOptions
  extends Pick<SessionStoreOptions, 'agentId' | 'dir' | 'indexCompactLines' | 'onIndexRebuilt'> {
  clock: Clock;
}

/**
 * A store's index in memory and its lifecycle: loaded on first use (`sessions.json`, then its journal
 * replayed over it), changed through the journal, dropped by `unload` and loaded again on the next use
 * once the unload has finished writing. Also tracks new sessions whose index line is still being synced.
 */
export class SessionIndex {
  readonly #options: SessionIndexOptions;
  #sessions: Map<string, SessionEntry> | undefined;
  #loading: Promise<Map<string, SessionEntry>> | undefined;
  #journal: IndexJournal | undefined;
  /** An unload still writing its snapshot and closing files: the next load waits for it. */
  #closing: Promise<void> | undefined;
  /** New sessions whose index line is still being synced, by session id (see `putNew`). */
  readonly #syncs = new Map<string, Promise<void>>();

  constructor(options: SessionIndexOptions) {
    this.#options = options;
  }

  /** True while the index is held in memory. */
  get loaded(): boolean {
    return this.#sessions !== undefined;
  }

  /** True while the journal is writing or compacting. */
  get busy(): boolean {
    return this.#journal?.busy ?? false;
  }

  /** The index by session key, loaded first if it is not in memory. */
  load(): Promise<Map<string, SessionEntry>> {
    if (this.#sessions) return Promise.resolve(this.#sessions);
    this.#loading ??= (async () => {
      try {
        await this.#closing;
        const { dir, agentId, clock, indexCompactLines, onIndexRebuilt } = this.#options;
        await mkdir(dir, { recursive: true, mode: 0o700 });
        const result = await loadIndex(dir, agentId, clock);
        const lines = await replayJournal(dir, result.sessions);
        if (result.corruptBackup) {
          onIndexRebuilt?.({ backupPath: result.corruptBackup, reason: result.corruptReason ?? '' });
        }
        const sessions = result.sessions;
        this.#journal = new IndexJournal({
          dir,
          agentId,
          sessions: () => sessions,
          lines,
          ...(indexCompactLines ? { compactLines: indexCompactLines } : {}),
        });
        this.#sessions = sessions;
        return sessions;
      } finally {
        this.#loading = undefined;
      }
    })();
    return this.#loading;
  }

  /** The journal of the loaded index (callers have awaited `load()`). Throws SESSION_INDEX_NOT_LOADED. */
  journal(): IndexJournal {
    if (!this.#journal) {
      throw new CarapaceError('SESSION_INDEX_NOT_LOADED', 'the session index is not loaded');
    }
    return this.#journal;
  }

  /**
   * Journal a new session's entry, synced in the background, off the turn's path: nothing durable may be
   * recorded in the session before `synced(sessionId)` resolves, so a power cut cannot leave a synced
   * reply in a transcript the index does not know.
   */
  putNew(entry: SessionEntry): void {
    const { sessionId } = entry;
    const synced = this.journal().put(entry, true);
    this.#syncs.set(sessionId, synced);
    synced.then(
      () => this.#syncs.delete(sessionId),
      () => undefined, // kept: the session's next durable append reports it
    );
  }

  /** Wait until a new session's index line is synced; throws (once) if that sync failed. */
  async synced(sessionId: string): Promise<void> {
    const pending = this.#syncs.get(sessionId);
    if (!pending) return;
    try {
      await pending;
    } finally {
      this.#syncs.delete(sessionId);
    }
  }

  /** Fold the journal into `sessions.json` and wait until it is on disk. */
  async flush(): Promise<void> {
    await this.#closing;
    await this.#journal?.flush();
  }

  /** Flush, then close the journal file (it reopens on the next change). */
  async close(): Promise<void> {
    await this.flush();
    await this.#journal?.close();
  }

  /**
   * Drop the index from memory. Its journal is closed in the background, then `closeFiles` runs; the
   * next `load` waits for both. Callers check first that nothing is running (`busy` and their own work).
   */
  unload(closeFiles: () => Promise<void>): void {
    const journal = this.#journal;
    this.#sessions = undefined;
    this.#journal = undefined;
    const previous = this.#closing;
    const closing: Promise<void> = (async () => {
      await previous;
      await journal?.close();
      await closeFiles();
    })()
      .catch(() => undefined)
      .finally(() => {
        if (this.#closing === closing) this.#closing = undefined;
      });
    this.#closing = closing;
  }
}
