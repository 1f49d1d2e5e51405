import { type Clock, newId, shortId, systemClock } from '../shared/index.js';
import type { HistoryOptions, HistoryPage } from './history.js';
import { type ResetReason, shouldReset } from './reset.js';
import type { CompactionEntry, MessageEntry, MessageFields, SessionEntry } from './schema.js';
import { KeyedSerial } from './serial.js';
import { applyPatch, carriedOnReset, countMessage, newSessionEntry } from './session-entry.js';
import { SessionIndex } from './session-index.js';
import { assertMessage, checkKey, notFound } from './store-checks.js';
import type {
  EnsureOptions,
  EnsureResult,
  SessionChange,
  SessionPatch,
  SessionStoreOptions,
} from './store-types.js';
import type { LoadedTranscript } from './transcript.js';
import { TranscriptFiles } from './transcript-files.js';

/**
 * One agent's sessions: the index (`sessions.json` plus its change journal, see session-index.ts and
 * index-journal.ts) and a JSONL transcript per session, appended through held file handles (see
 * transcript-files.ts). Operations on one key run one at a time. New, reset and deleted keys, user
 * messages' inbox twins and final replies are synced to disk; running totals are written but not synced
 * (the transcript is the record they are derived from).
 * Keys are taken as given: normalize them with routing's `normalizeSessionKey` first.
 */
export class SessionStore {
  readonly agentId: string;
  readonly dir: string;
  private readonly clock: Clock;
  private readonly options: SessionStoreOptions;
  private readonly index: SessionIndex;
  private readonly files: TranscriptFiles;
  private readonly keys = new KeyedSerial();
  private inFlight = 0;
  /** Monotonic time of the last operation, for the registry's idle eviction. */
  lastUsed: number;

  constructor(options: SessionStoreOptions) {
    this.options = options;
    this.agentId = options.agentId;
    this.dir = options.dir;
    this.clock = options.clock ?? systemClock;
    this.lastUsed = this.clock.monotonic();
    const { agentId, dir, indexCompactLines, onIndexRebuilt, onRepair } = options;
    this.index = new SessionIndex({ agentId, dir, clock: this.clock, indexCompactLines, onIndexRebuilt });
    this.files = new TranscriptFiles({ agentId, dir, clock: this.clock, onRepair });
  }

  /** The transcript file of a session id. */
  transcriptPath(sessionId: string): string {
    return this.files.path(sessionId);
  }

  /** Every session, newest activity first. Reads only the index, never a transcript. */
  list(): Promise<SessionEntry[]> {
    return this.track(async () => {
      const entries = [...(await this.index.load()).values()].map((e) => structuredClone(e));
      return entries.sort((a, b) => b.updatedAt - a.updatedAt);
    });
  }

  /**
   * Every session, newest activity first, as the index holds them: no copies, so cheap with many sessions
   * (`list` clones each entry). Read-only: never modify what it returns.
   */
  listView(): Promise<readonly Readonly<SessionEntry>[]> {
    return this.track(async () =>
      [...(await this.index.load()).values()].sort((a, b) => b.updatedAt - a.updatedAt),
    );
  }

  get(sessionKey: string): Promise<SessionEntry | undefined> {
    return this.track(async () => {
      const entry = (await this.index.load()).get(sessionKey);
      return entry && structuredClone(entry);
    });
  }

  /** The key's current session, created if missing, and reset first if `resetPolicy` says it expired. */
  ensureSession(sessionKey: string, options: EnsureOptions = {}): Promise<EnsureResult> {
    return this.serial(sessionKey, async () => {
      checkKey(sessionKey);
      const index = await this.index.load();
      let entry = index.get(sessionKey);
      let resetReason: ResetReason | undefined;
      if (entry && options.resetPolicy) {
        resetReason = shouldReset(entry, options.resetPolicy, this.clock.now());
        if (resetReason) entry = await this.resetLocked(sessionKey, resetReason);
      }
      const created = !entry;
      entry ??= await this.createLocked(sessionKey, options);
      const result: EnsureResult = { entry: structuredClone(entry), created };
      if (resetReason) result.resetReason = resetReason;
      return result;
    });
  }

  /** Start a new session id for the key. The old transcript stays where it is, ending in a reset record. */
  resetSession(sessionKey: string, reason = 'reset'): Promise<SessionEntry> {
    return this.serial(sessionKey, async () => {
      checkKey(sessionKey);
      return structuredClone(await this.resetLocked(sessionKey, reason));
    });
  }

  /** Remove the key; its transcript is archived as `<sessionId>.jsonl.deleted.<ts>`. */
  deleteSession(sessionKey: string): Promise<{ deleted: boolean; archivedPath?: string }> {
    return this.serial(sessionKey, async () => {
      const index = await this.index.load();
      const entry = index.get(sessionKey);
      if (!entry) return { deleted: false };
      const archivedPath = await this.files.archive(entry.sessionId, this.clock.now());
      index.delete(sessionKey);
      await this.index.journal().delete(sessionKey, true);
      this.emit(sessionKey, 'deleted', entry.sessionId);
      return { deleted: true, archivedPath };
    });
  }

  /** Change labels and delivery hints. Throws SESSION_NOT_FOUND. */
  updateSession(sessionKey: string, patch: SessionPatch): Promise<SessionEntry> {
    return this.serial(sessionKey, async () => {
      const entry = await this.require(sessionKey);
      applyPatch(entry, patch, this.clock.now());
      await this.index.journal().put(entry, true);
      this.emit(sessionKey, 'updated', entry.sessionId);
      return structuredClone(entry);
    });
  }

  /**
   * Append a message to the key's current transcript and add it to the totals. `durable` (fsync) defaults
   * to true for user messages and final assistant replies (no tool calls). Throws SESSION_NOT_FOUND and
   * INVALID_MESSAGE.
   */
  async appendMessage(
    sessionKey: string,
    message: MessageFields,
    options: { durable?: boolean } = {},
  ): Promise<MessageEntry> {
    assertMessage(message);
    return this.serial(sessionKey, async (): Promise<MessageEntry> => {
      const entry = await this.require(sessionKey);
      const parentId = await this.files.prepare(entry);
      const record: MessageEntry = {
        type: 'message',
        id: shortId(),
        parentId,
        ts: this.clock.now(),
        ...message,
      };
      const final = message.role === 'assistant' && !(message.toolCalls && message.toolCalls.length > 0);
      const durable = options.durable ?? (message.role === 'user' || final);
      await this.files.write(entry.sessionId, record, durable);
      if (durable) await this.index.synced(entry.sessionId);
      this.files.advance(entry.sessionId, record);
      countMessage(entry, message, record.ts);
      await this.index.journal().put(entry, false);
      this.emit(sessionKey, 'updated', entry.sessionId);
      return record;
    });
  }

  /** Record a compaction (a summary standing in for the entries before `firstKeptId`). */
  appendCompaction(
    sessionKey: string,
    compaction: Pick<CompactionEntry, 'summary' | 'firstKeptId' | 'tokensBefore'>,
  ) {
    return this.serial(sessionKey, async (): Promise<CompactionEntry> => {
      const entry = await this.require(sessionKey);
      const parentId = await this.files.prepare(entry);
      const record: CompactionEntry = {
        type: 'compaction',
        id: shortId(),
        parentId,
        ts: this.clock.now(),
        ...compaction,
      };
      await this.files.write(entry.sessionId, record, true);
      await this.index.synced(entry.sessionId);
      this.files.advance(entry.sessionId, record);
      return record;
    });
  }

  /** The whole current transcript, repaired first (for building a model context). Throws SESSION_NOT_FOUND. */
  loadTranscript(sessionKey: string): Promise<LoadedTranscript & { sessionId: string }> {
    return this.serial(sessionKey, async () => {
      const entry = await this.require(sessionKey);
      const loaded = await this.files.load(entry);
      return { sessionId: entry.sessionId, ...loaded };
    });
  }

  /** A page of messages from the end of the current transcript. Throws SESSION_NOT_FOUND. */
  readHistory(sessionKey: string, options: HistoryOptions = {}) {
    return this.track(async (): Promise<HistoryPage & { sessionKey: string; sessionId: string }> => {
      const entry = (await this.index.load()).get(sessionKey);
      if (!entry) throw notFound(this.agentId, sessionKey);
      const page = await this.files.history(entry.sessionId, options);
      return { sessionKey, sessionId: entry.sessionId, ...page };
    });
  }

  /** Fold the index journal into `sessions.json` and wait until it is on disk. */
  flush(): Promise<void> {
    return this.index.flush();
  }

  /** Flush the index and close every open file (the store can be used again afterwards). */
  async close(): Promise<void> {
    await this.index.close();
    await this.files.closeAll();
  }

  /** True when nothing is running or waiting to be saved. */
  isIdle(): boolean {
    return this.inFlight === 0 && !this.index.busy;
  }

  /** True while the index is held in memory. */
  isLoaded(): boolean {
    return this.index.loaded;
  }

  /** Drop the in-memory index and transcript state (reloaded on next use). Refused (false) unless idle. */
  unload(): boolean {
    if (!this.isIdle()) return false;
    this.index.unload(() => this.files.closeAll());
    this.files.clear();
    return true;
  }

  private async createLocked(sessionKey: string, options: EnsureOptions): Promise<SessionEntry> {
    const entry = await this.startSession(sessionKey, { origin: options.origin, label: options.label });
    this.emit(sessionKey, 'created', entry.sessionId);
    return entry;
  }

  private async resetLocked(sessionKey: string, reason: string): Promise<SessionEntry> {
    const old = (await this.index.load()).get(sessionKey);
    if (!old) return this.createLocked(sessionKey, {});
    const entry = await this.startSession(sessionKey, {
      ...carriedOnReset(old),
      previousSessionId: old.sessionId,
      resetReason: reason,
    });
    await this.files.endWithReset(old, reason, entry.createdAt, entry.sessionId);
    this.emit(sessionKey, 'reset', entry.sessionId);
    return entry;
  }

  /** A new session id for the key: its transcript (header only) and its index entry, saved. */
  private async startSession(sessionKey: string, extra: Partial<SessionEntry>): Promise<SessionEntry> {
    const index = await this.index.load();
    const now = this.clock.now();
    const entry = newSessionEntry({ sessionKey, sessionId: newId(), agentId: this.agentId }, now, extra);
    await this.files.create(entry);
    index.set(sessionKey, entry);
    this.index.putNew(entry); // synced in the background: see `SessionIndex.putNew`
    return entry;
  }

  private async require(sessionKey: string): Promise<SessionEntry> {
    const entry = (await this.index.load()).get(sessionKey);
    if (!entry) throw notFound(this.agentId, sessionKey);
    return entry;
  }

  private async track<T>(fn: () => Promise<T>): Promise<T> {
    this.inFlight++;
    this.lastUsed = this.clock.monotonic();
    try {
      return await fn();
    } finally {
      this.inFlight--;
      this.lastUsed = this.clock.monotonic();
    }
  }

  /** Run `fn` after every earlier operation on `sessionKey` has finished. */
  private serial<T>(sessionKey: string, fn: () => Promise<T>): Promise<T> {
    return this.track(() => this.keys.run(sessionKey, fn));
  }

  private emit(sessionKey: string, kind: SessionChange['kind'], sessionId: string): void {
    this.options.onChange?.({ agentId: this.agentId, sessionKey, kind, sessionId });
  }
}
