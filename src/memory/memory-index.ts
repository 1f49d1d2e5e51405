import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { errorMessage } from '../shared/index.js';
import { bm25Scores, cosine } from './bm25.js';
import { chunkMarkdown } from './chunk.js';
import type { EmbeddingsClient } from './embeddings.js';
import { listMemoryFiles } from './files.js';
import {
  decodeVector,
  emptyIndex,
  encodeVector,
  type IndexedChunk,
  loadIndexFile,
  type MemoryIndexFile,
  saveIndexFile,
} from './store.js';
import { termCounts, tokenize } from './tokenize.js';

/** Longest snippet a hit carries; `memory_get` reads the full range. */
export const SNIPPET_MAX_CHARS = 700;
/** Longest chunk text sent to the embeddings endpoint. */
const EMBED_MAX_CHARS = 8000;

export interface MemoryIndexOptions {
  workspaceDir: string;
  /** Where the index is persisted (`<stateDir>/agents/<id>/memory/index.json`). */
  indexPath: string;
  chunkMaxChars: number;
  /** Blend vector similarity into the rank: `weight` of the score is the vector's, the rest BM25's. */
  embeddings?: { client: EmbeddingsClient; weight: number; batchSize: number } | undefined;
  /** Epoch ms (a Clock's `now`); used to pause embeddings after a failure. */
  now?: () => number;
}

/** After an embeddings failure, searches use BM25 alone for this long before trying the endpoint again. */
export const EMBEDDINGS_PAUSE_MS = 60_000;

/** One ranked snippet: the file, its 1-based inclusive line range, the blended score (0–1). */
export interface MemoryHit {
  path: string;
  startLine: number;
  endLine: number;
  score: number;
  snippet: string;
}

export interface MemorySearchResult {
  query: string;
  /** `hybrid` when embeddings were blended in for this query, else `bm25`. */
  mode: 'bm25' | 'hybrid';
  hits: MemoryHit[];
  /** Problems that did not stop the search (an unreachable embeddings endpoint, an unwritable index). */
  warnings: string[];
}

/** What a refresh found and did. */
export interface RefreshStats {
  files: number;
  chunks: number;
  /** Files (re)indexed because they are new or their mtime or size changed. */
  updated: string[];
  removed: string[];
  /** Chunks embedded in this refresh. */
  embedded: number;
  warnings: string[];
}

const hashOf = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);

function indexChunk(c: { startLine: number; endLine: number; text: string }): IndexedChunk {
  const terms = termCounts(c.text);
  const length = Object.values(terms).reduce((n, k) => n + k, 0);
  return { startLine: c.startLine, endLine: c.endLine, text: c.text, hash: hashOf(c.text), terms, length };
}

const snippet = (text: string) =>
  text.length > SNIPPET_MAX_CHARS ? `${text.slice(0, SNIPPET_MAX_CHARS - 1)}…` : text;

/**
 * The search index of one workspace's memory files (MEMORY.md, memory/**.md): chunks with BM25 term
 * counts, and optionally embeddings, persisted as JSON. Every search first compares each file's mtime and
 * size with the index and re-reads only what changed, so appends are found at once. Operations run one at
 * a time. Never throws for an unreachable embeddings endpoint or an unwritable index: those become
 * warnings and the search goes on with BM25 alone.
 */
export class MemoryIndex {
  #state: MemoryIndexFile | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #pausedUntil = 0;

  constructor(private readonly options: MemoryIndexOptions) {}

  /** Bring the index up to date with the files. */
  refresh(): Promise<RefreshStats> {
    return this.#serial(() => this.#refresh(false));
  }

  /** Rebuild the index from scratch (re-reads every file; embeddings are kept by content hash). */
  reindex(): Promise<RefreshStats> {
    return this.#serial(() => this.#refresh(true));
  }

  /** Refresh, then rank chunks for the query (BM25, blended with vector similarity when configured). */
  search(query: string, options: { maxResults: number }): Promise<MemorySearchResult> {
    return this.#serial(async () => {
      const stats = await this.#refresh(false);
      return this.#rank(query, options.maxResults, stats.warnings);
    });
  }

  #serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(op, op);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #refresh(force: boolean): Promise<RefreshStats> {
    const { chunkMaxChars, workspaceDir } = this.options;
    let dirty = false;
    if (!this.#state) {
      const loaded = await loadIndexFile(this.options.indexPath);
      this.#state = loaded?.chunkMaxChars === chunkMaxChars ? loaded : emptyIndex(chunkMaxChars);
      dirty = !loaded || loaded.chunkMaxChars !== chunkMaxChars;
    }
    const state = this.#state;
    const files = await listMemoryFiles(workspaceDir);
    const updated: string[] = [];
    for (const f of files) {
      const prev = state.files[f.path];
      if (!force && prev && prev.mtimeMs === f.mtimeMs && prev.size === f.size) continue;
      const text = await readFile(f.abs, 'utf8').catch(() => undefined);
      if (text === undefined) continue;
      state.files[f.path] = {
        mtimeMs: f.mtimeMs,
        size: f.size,
        chunks: chunkMarkdown(text, chunkMaxChars).map(indexChunk),
      };
      updated.push(f.path);
    }
    const present = new Set(files.map((f) => f.path));
    const removed = Object.keys(state.files).filter((p) => !present.has(p));
    for (const p of removed) delete state.files[p];
    const warnings: string[] = [];
    const embedded = await this.#embedMissing(state, warnings);
    if (dirty || force || updated.length || removed.length || embedded.changed) {
      try {
        await saveIndexFile(this.options.indexPath, state);
      } catch (err) {
        warnings.push(`the index could not be saved: ${errorMessage(err)}`);
      }
    }
    const chunks = Object.values(state.files).reduce((n, f) => n + f.chunks.length, 0);
    return { files: files.length, chunks, updated, removed, embedded: embedded.count, warnings };
  }

  async #embedMissing(
    state: MemoryIndexFile,
    warnings: string[],
  ): Promise<{ count: number; changed: boolean }> {
    const e = this.options.embeddings;
    if (!e) return { count: 0, changed: false };
    let changed = false;
    if (state.embeddings?.key !== e.client.key) {
      state.embeddings = { key: e.client.key, vectors: {} };
      changed = true;
    }
    const vectors = state.embeddings!.vectors;
    if (this.#paused(warnings)) return { count: 0, changed };
    const live = new Map<string, string>();
    for (const f of Object.values(state.files)) for (const c of f.chunks) live.set(c.hash, c.text);
    for (const h of Object.keys(vectors)) {
      if (!live.has(h)) {
        delete vectors[h];
        changed = true;
      }
    }
    const missing = [...live].filter(([h]) => !vectors[h]);
    let count = 0;
    for (let i = 0; i < missing.length; i += e.batchSize) {
      const batch = missing.slice(i, i + e.batchSize);
      try {
        const out = await e.client.embed(batch.map(([, t]) => t.slice(0, EMBED_MAX_CHARS)));
        batch.forEach(([h], k) => {
          vectors[h] = encodeVector(out[k]!);
        });
        count += batch.length;
        changed = true;
      } catch (err) {
        this.#pause();
        warnings.push(
          `${errorMessage(err)} (${missing.length - count} chunks not embedded; BM25 only for them)`,
        );
        break;
      }
    }
    return { count, changed };
  }

  #now(): number {
    return this.options.now?.() ?? Date.now();
  }

  #pause(): void {
    this.#pausedUntil = this.#now() + EMBEDDINGS_PAUSE_MS;
  }

  /** True (with one warning) while embeddings rest after a failure. */
  #paused(warnings: string[]): boolean {
    if (this.#now() >= this.#pausedUntil) return false;
    const note = 'embeddings paused after a recent failure (ranked by BM25 only)';
    if (!warnings.includes(note)) warnings.push(note);
    return true;
  }

  async #rank(query: string, maxResults: number, warnings: string[]): Promise<MemorySearchResult> {
    const state = this.#state!;
    const docs: { path: string; chunk: IndexedChunk }[] = [];
    for (const [path, f] of Object.entries(state.files))
      for (const chunk of f.chunks) docs.push({ path, chunk });
    const bm25 = bm25Scores(
      tokenize(query),
      docs.map((d) => d.chunk),
    );
    const vec = await this.#vectorScores(query, docs, warnings);
    const top = Math.max(0, ...bm25);
    const w = vec ? this.options.embeddings!.weight : 0;
    const scored = docs
      .map((d, i) => {
        const b = top > 0 ? bm25[i]! / top : 0;
        const v = vec ? Math.max(0, vec[i]!) : 0;
        return { ...d, score: (1 - w) * b + w * v };
      })
      .filter((d) => d.score > 0)
      .sort(
        (a, b) => b.score - a.score || a.path.localeCompare(b.path) || a.chunk.startLine - b.chunk.startLine,
      );
    return {
      query,
      mode: vec ? 'hybrid' : 'bm25',
      hits: scored.slice(0, maxResults).map((d) => ({
        path: d.path,
        startLine: d.chunk.startLine,
        endLine: d.chunk.endLine,
        score: Math.round(d.score * 1000) / 1000,
        snippet: snippet(d.chunk.text),
      })),
      warnings,
    };
  }

  async #vectorScores(
    query: string,
    docs: readonly { chunk: IndexedChunk }[],
    warnings: string[],
  ): Promise<number[] | undefined> {
    const e = this.options.embeddings;
    const vectors = this.#state?.embeddings?.vectors;
    if (!e || !vectors || query.trim() === '' || this.#paused(warnings)) return undefined;
    let q: number[];
    try {
      q = (await e.client.embed([query.slice(0, EMBED_MAX_CHARS)]))[0]!;
    } catch (err) {
      this.#pause();
      warnings.push(`${errorMessage(err)} (ranked by BM25 only)`);
      return undefined;
    }
    return docs.map((d) => {
      const v = vectors[d.chunk.hash];
      return v ? cosine(q, decodeVector(v)) : 0;
    });
  }
}
