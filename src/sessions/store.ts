import { access, mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { compileValidator, formatIssues } from '../protocol/index.js';
import {
  AppendLogPool,
  CarapaceError,
  type Clock,
  errnoCode,
  newId,
  shortId,
  systemClock,
} from '../shared/index.js';
import { type HistoryOptions, type HistoryPage, readHistory } from './history.js';
import { loadIndex } from './index-file.js';
import { IndexJournal, replayJournal } from './index-journal.js';
import { type ResetReason, shouldReset } from './reset.js';
import {
  type CompactionEntry,
  type MessageEntry,
  type MessageFields,
  MessageFieldsSchema,
  type SessionEntry,
  TRANSCRIPT_VERSION,
} from './schema.js';
import { KeyedSerial } from './serial.js';
import type {
  EnsureOptions,
  EnsureResult,
  SessionChange,
  SessionPatch,
  SessionStoreOptions,
} from './store-types.js';
import {
  createTranscript,
  entryLines,
  type LoadedTranscript,
  loadTranscript,
  openTranscript,
} from './transcript.js';
import { TranscriptCache } from './transcript-cache.js';

const checkMessage = compileValidator<MessageFields>(MessageFieldsSchema);

/**
 * One agent's sessions: the index (`sessions.json` plus its change journal, see index-journal.ts) and a
 * JSONL transcript per session, appended through held file handles. Operations on one key run one at a
 * time. New, reset and deleted keys, user messages' inbox twins and final replies are synced to disk;
 * running totals are written but not synced (the transcript is the record they are derived from).
 * Keys are taken as given: normalize them with routing's `normalizeSessionKey` first.
 */
export class SessionStore {
  readonly agentId: string;
  readonly dir: string;
  private readonly clock: Clock;
  private readonly options: SessionStoreOptions;
  private index: Map<string, SessionEntry> | undefined;
  private loading: Promise<Map<string, SessionEntry>> | undefined;
  /** Last entry id per transcript touched in this process (and thereby repaired). */
  private readonly lastIds = new Map<string, string | null>();
  /** New sessions whose index line is still being synced, by session id (see `startSession`). */
  private readonly indexSyncs = new Map<string, Promise<void>>();
  private readonly keys = new KeyedSerial();
  /** Open transcript files (appends keep their handle). */
  private readonly logs = new AppendLogPool({ maxOpen: 32 });
  /** Parsed transcripts of recent sessions, kept in step with appends. */
  private readonly transcripts = new TranscriptCache();
  private journal: IndexJournal | undefined;
  /** An unload still writing its snapshot and closing files: the next load waits for it. */
  private closing: Promise<void> | undefined;
  private inFlight = 0;
  /** Monotonic time of the last operation, for the registry's idle eviction. */
  lastUsed: number;

  constructor(options: SessionStoreOptions) {
    this.options = options;
    this.agentId = options.agentId;
    this.dir = options.dir;
    this.clock = options.clock ?? systemClock;
    this.lastUsed = this.clock.monotonic();
  }

  /** The transcript file of a session id. */
  transcriptPath(sessionId: string): string {
    return join(this.dir, `${sessionId}.jsonl`);
  }

  /** Every session, newest activity first. Reads only the index, never a transcript. */
  list(): Promise<SessionEntry[]> {
    return this.track(async () => {
      const entries = [...(await this.loaded()).values()].map((e) => structuredClone(e));
      return entries.sort((a, b) => b.updatedAt - a.updatedAt);
    });
  }

  /**
   * Every session, newest activity first, as the index holds them: no copies, so cheap with many sessions
   * (`list` clones each entry). Read-only: never modify what it returns.
   */
  listView(): Promise<readonly Readonly<SessionEntry>[]> {
    return this.track(async () =>
      [...(await this.loaded()).values()].sort((a, b) => b.updatedAt - a.updatedAt),
    );
  }

  get(sessionKey: string): Promise<SessionEntry | undefined> {
    return this.track(async () => {
      const entry = (await this.loaded()).get(sessionKey);
      return entry && structuredClone(entry);
    });
  }

  /** The key's current session, created if missing, and reset first if `resetPolicy` says it expired. */
  ensureSession(sessionKey: string, options: EnsureOptions = {}): Promise<EnsureResult> {
    return this.serial(sessionKey, async () => {
      checkKey(sessionKey);
      const index = await this.loaded();
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
      const index = await this.loaded();
      const entry = index.get(sessionKey);
      if (!entry) return { deleted: false };
      const file = this.transcriptPath(entry.sessionId);
      const archivedPath = `${file}.deleted.${this.clock.now()}`;
      await this.logs.release(file);
      try {
        await rename(file, archivedPath);
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw err;
      }
      index.delete(sessionKey);
      this.lastIds.delete(entry.sessionId);
      this.transcripts.delete(entry.sessionId);
      await this.journalOf().delete(sessionKey, true);
      this.emit(sessionKey, 'deleted', entry.sessionId);
      return { deleted: true, archivedPath };
    });
  }

  /** Change labels and delivery hints. Throws SESSION_NOT_FOUND. */
  updateSession(sessionKey: string, patch: SessionPatch): Promise<SessionEntry> {
    return this.serial(sessionKey, async () => {
      const entry = await this.require(sessionKey);
      for (const [key, value] of Object.entries(patch) as Array<[keyof SessionPatch, unknown]>) {
        if (value === null) delete entry[key];
        else if (value !== undefined) (entry as Record<string, unknown>)[key] = value;
      }
      entry.updatedAt = this.clock.now();
      await this.journalOf().put(entry, true);
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
    if (!checkMessage.check(message)) {
      const issues = checkMessage.issues(message);
      throw new CarapaceError('INVALID_MESSAGE', `invalid transcript message: ${formatIssues(issues)}`, {
        details: { issues },
      });
    }
    return this.serial(sessionKey, async (): Promise<MessageEntry> => {
      const entry = await this.require(sessionKey);
      const parentId = await this.prepare(entry);
      const record: MessageEntry = {
        type: 'message',
        id: shortId(),
        parentId,
        ts: this.clock.now(),
        ...message,
      };
      const final = message.role === 'assistant' && !(message.toolCalls && message.toolCalls.length > 0);
      const durable = options.durable ?? (message.role === 'user' || final);
      await this.logs.append(this.transcriptPath(entry.sessionId), entryLines([record]), durable);
      if (durable) await this.indexSynced(entry.sessionId);
      this.lastIds.set(entry.sessionId, record.id);
      this.transcripts.append(entry.sessionId, record);
      entry.messageCount++;
      if (message.usage) {
        entry.tokens.input += message.usage.input;
        entry.tokens.output += message.usage.output;
        entry.tokens.total += message.usage.total ?? message.usage.input + message.usage.output;
      }
      entry.updatedAt = record.ts;
      await this.journalOf().put(entry, false);
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
      const parentId = await this.prepare(entry);
      const record: CompactionEntry = {
        type: 'compaction',
        id: shortId(),
        parentId,
        ts: this.clock.now(),
        ...compaction,
      };
      await this.logs.append(this.transcriptPath(entry.sessionId), entryLines([record]), true);
      await this.indexSynced(entry.sessionId);
      this.lastIds.set(entry.sessionId, record.id);
      this.transcripts.append(entry.sessionId, record);
      return record;
    });
  }

  /** The whole current transcript, repaired first (for building a model context). Throws SESSION_NOT_FOUND. */
  loadTranscript(sessionKey: string): Promise<LoadedTranscript & { sessionId: string }> {
    return this.serial(sessionKey, async () => {
      const entry = await this.require(sessionKey);
      await this.prepare(entry);
      let loaded = this.transcripts.get(entry.sessionId);
      if (!loaded) {
        loaded = await loadTranscript(this.transcriptPath(entry.sessionId));
        this.transcripts.set(entry.sessionId, loaded);
      }
      return { sessionId: entry.sessionId, ...loaded };
    });
  }

  /** A page of messages from the end of the current transcript. Throws SESSION_NOT_FOUND. */
  readHistory(sessionKey: string, options: HistoryOptions = {}) {
    return this.track(async (): Promise<HistoryPage & { sessionKey: string; sessionId: string }> => {
      const entry = (await this.loaded()).get(sessionKey);
      if (!entry) throw notFound(this.agentId, sessionKey);
      try {
        const page = await readHistory(this.transcriptPath(entry.sessionId), options);
        return { sessionKey, sessionId: entry.sessionId, ...page };
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw err;
        return { sessionKey, sessionId: entry.sessionId, messages: [], hasMore: false };
      }
    });
  }

  /** Fold the index journal into `sessions.json` and wait until it is on disk. */
  async flush(): Promise<void> {
    await this.closing;
    await this.journal?.flush();
  }

  /** Flush the index and close every open file (the store can be used again afterwards). */
  async close(): Promise<void> {
    await this.flush();
    await this.journal?.close();
    await this.logs.closeAll();
  }

  /** True when nothing is running or waiting to be saved. */
  isIdle(): boolean {
    return this.inFlight === 0 && !this.journal?.busy;
  }

  /** True while the index is held in memory. */
  isLoaded(): boolean {
    return this.index !== undefined;
  }

  /** Drop the in-memory index and transcript state (reloaded on next use). Refused (false) unless idle. */
  unload(): boolean {
    if (!this.isIdle()) return false;
    const journal = this.journal;
    this.index = undefined;
    this.journal = undefined;
    this.lastIds.clear();
    this.transcripts.clear();
    const previous = this.closing;
    const closing: Promise<void> = (async () => {
      await previous;
      await journal?.close();
      await this.logs.closeAll();
    })()
      .catch(() => undefined)
      .finally(() => {
        if (this.closing === closing) this.closing = undefined;
      });
    this.closing = closing;
    return true;
  }

  private async createLocked(sessionKey: string, options: EnsureOptions): Promise<SessionEntry> {
    const entry = await this.startSession(sessionKey, { origin: options.origin, label: options.label });
    this.emit(sessionKey, 'created', entry.sessionId);
    return entry;
  }

  private async resetLocked(sessionKey: string, reason: string): Promise<SessionEntry> {
    const old = (await this.loaded()).get(sessionKey);
    if (!old) return this.createLocked(sessionKey, {});
    const { label, origin, lastChannel, lastAccountId, lastTo, model } = old;
    const carried = { label, origin, lastChannel, lastAccountId, lastTo, model };
    const entry = await this.startSession(sessionKey, {
      ...carried,
      previousSessionId: old.sessionId,
      resetReason: reason,
    });
    if (await exists(this.transcriptPath(old.sessionId))) {
      const parentId = await this.prepare(old);
      const record = { type: 'reset' as const, id: shortId(), parentId, ts: entry.createdAt, reason };
      const oldFile = this.transcriptPath(old.sessionId);
      await this.logs.append(oldFile, entryLines([{ ...record, nextSessionId: entry.sessionId }]), true);
      await this.logs.release(oldFile);
    }
    this.lastIds.delete(old.sessionId);
    this.transcripts.delete(old.sessionId);
    this.emit(sessionKey, 'reset', entry.sessionId);
    return entry;
  }

  /** A new session id for the key: its transcript (header only) and its index entry, saved. */
  private async startSession(sessionKey: string, extra: Partial<SessionEntry>): Promise<SessionEntry> {
    const index = await this.loaded();
    const now = this.clock.now();
    const sessionId = newId();
    const entry: SessionEntry = {
      sessionKey,
      sessionId,
      agentId: this.agentId,
      createdAt: now,
      updatedAt: now,
      tokens: { input: 0, output: 0, total: 0 },
      messageCount: 0,
    };
    for (const [key, value] of Object.entries(extra)) {
      if (value !== undefined) (entry as Record<string, unknown>)[key] = value;
    }
    const header = this.headerOf(entry);
    await createTranscript(this.transcriptPath(sessionId), header);
    this.lastIds.set(sessionId, null);
    this.transcripts.set(sessionId, {
      header: { type: 'session', version: TRANSCRIPT_VERSION, ...header },
      entries: [],
      skippedLines: 0,
    });
    index.set(sessionKey, entry);
    // The index line is written now and synced in the background, off the turn's path: nothing durable is
    // recorded in the session before that sync is done (`indexSynced`), so a power cut cannot leave a
    // synced reply in a transcript the index does not know.
    const synced = this.journalOf().put(entry, true);
    this.indexSyncs.set(sessionId, synced);
    synced.then(
      () => this.indexSyncs.delete(sessionId),
      () => undefined, // kept: the session's next durable append reports it
    );
    return entry;
  }

  /** Wait until a new session's index line is synced; throws (once) if that sync failed. */
  private async indexSynced(sessionId: string): Promise<void> {
    const pending = this.indexSyncs.get(sessionId);
    if (!pending) return;
    try {
      await pending;
    } finally {
      this.indexSyncs.delete(sessionId);
    }
  }

  /** Repair the transcript on first use in this process; returns the id to use as the next parentId. */
  private async prepare(entry: SessionEntry): Promise<string | null> {
    const known = this.lastIds.get(entry.sessionId);
    if (known !== undefined) return known;
    // A repair may truncate the file: no handle of ours may be writing to it meanwhile.
    await this.logs.release(this.transcriptPath(entry.sessionId));
    this.transcripts.delete(entry.sessionId);
    const report = await openTranscript(
      this.transcriptPath(entry.sessionId),
      this.headerOf(entry),
      this.clock,
    );
    if (report.tornBytes > 0 || report.interruptedToolCalls.length > 0) {
      this.options.onRepair?.({ sessionKey: entry.sessionKey, sessionId: entry.sessionId, report });
    }
    this.lastIds.set(entry.sessionId, report.lastId);
    return report.lastId;
  }

  private headerOf(entry: SessionEntry) {
    return {
      id: entry.sessionId,
      sessionKey: entry.sessionKey,
      agentId: this.agentId,
      createdAt: entry.createdAt,
    };
  }

  private async require(sessionKey: string): Promise<SessionEntry> {
    const entry = (await this.loaded()).get(sessionKey);
    if (!entry) throw notFound(this.agentId, sessionKey);
    return entry;
  }

  private loaded(): Promise<Map<string, SessionEntry>> {
    if (this.index) return Promise.resolve(this.index);
    this.loading ??= (async () => {
      try {
        await this.closing;
        await mkdir(this.dir, { recursive: true, mode: 0o700 });
        const result = await loadIndex(this.dir, this.agentId, this.clock);
        const lines = await replayJournal(this.dir, result.sessions);
        if (result.corruptBackup) {
          this.options.onIndexRebuilt?.({
            backupPath: result.corruptBackup,
            reason: result.corruptReason ?? '',
          });
        }
        const sessions = result.sessions;
        this.journal = new IndexJournal({
          dir: this.dir,
          agentId: this.agentId,
          sessions: () => sessions,
          lines,
          ...(this.options.indexCompactLines ? { compactLines: this.options.indexCompactLines } : {}),
        });
        this.index = sessions;
        return sessions;
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
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

  /** The journal of the loaded index (callers have awaited `loaded()`). */
  private journalOf(): IndexJournal {
    if (!this.journal) throw new CarapaceError('SESSION_INDEX_NOT_LOADED', 'the session index is not loaded');
    return this.journal;
  }

  private emit(sessionKey: string, kind: SessionChange['kind'], sessionId: string): void {
    this.options.onChange?.({ agentId: this.agentId, sessionKey, kind, sessionId });
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

/** The store takes keys as given (routing normalizes them) but never lets a key it could not reload in. */
function checkKey(sessionKey: string): void {
  if (typeof sessionKey !== 'string' || sessionKey.length === 0 || sessionKey.length > 1024) {
    throw new CarapaceError(
      'INVALID_SESSION_KEY',
      `invalid session key ${JSON.stringify(sessionKey)}: empty or too long`,
      {
        details: { sessionKey },
      },
    );
  }
}

function notFound(agentId: string, sessionKey: string): CarapaceError {
  return new CarapaceError('SESSION_NOT_FOUND', `agent '${agentId}' has no session '${sessionKey}'`, {
    details: { agentId, sessionKey },
  });
}
