import type { TranscriptEntry } from './schema.js';
import type { LoadedTranscript } from './transcript.js';

/**
 * The parsed transcripts of recently used sessions, kept in step with every append so a turn does not
 * read and parse its whole transcript again. Bounded by session count and by total entries (least
 * recently used first out). Callers get a fresh array each time; entries themselves are never mutated.
 */
export class TranscriptCache {
  readonly #items = new Map<string, LoadedTranscript>();
  readonly #maxSessions: number;
  readonly #maxEntries: number;
  #entries = 0;

  constructor(options: { maxSessions?: number; maxEntries?: number } = {}) {
    this.#maxSessions = options.maxSessions ?? 64;
    this.#maxEntries = options.maxEntries ?? 50_000;
  }

  /** A copy of the cached transcript of `sessionId`, if held. */
  get(sessionId: string): LoadedTranscript | undefined {
    const hit = this.#items.get(sessionId);
    if (!hit) return undefined;
    this.#items.delete(sessionId);
    this.#items.set(sessionId, hit);
    return { ...hit, entries: hit.entries.slice() };
  }

  /** Hold `transcript` (as loaded from disk or just created) for `sessionId`. */
  set(sessionId: string, transcript: LoadedTranscript): void {
    this.delete(sessionId);
    if (transcript.entries.length > this.#maxEntries) return;
    this.#items.set(sessionId, { ...transcript, entries: transcript.entries.slice() });
    this.#entries += transcript.entries.length;
    this.#evict();
  }

  /** Record an entry appended to the file of `sessionId` (ignored when it is not held). */
  append(sessionId: string, entry: TranscriptEntry): void {
    const hit = this.#items.get(sessionId);
    if (!hit) return;
    hit.entries.push(entry);
    this.#entries++;
    this.#evict();
  }

  delete(sessionId: string): void {
    const hit = this.#items.get(sessionId);
    if (!hit) return;
    this.#items.delete(sessionId);
    this.#entries -= hit.entries.length;
  }

  clear(): void {
    this.#items.clear();
    this.#entries = 0;
  }

  #evict(): void {
    for (const id of this.#items.keys()) {
      if (this.#items.size <= this.#maxSessions && this.#entries <= this.#maxEntries) break;
      this.delete(id);
    }
  }
}
