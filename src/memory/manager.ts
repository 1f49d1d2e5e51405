import { join } from 'node:path';
import { type MemoryConfig, resolveSecret } from '../config/index.js';
import { errorMessage } from '../shared/index.js';
import { createEmbeddingsClient, type EmbeddingsFetch } from './embeddings.js';
import { type MemoryLines, readMemoryLines } from './get.js';
import { MemoryIndex, type MemorySearchResult, type RefreshStats } from './memory-index.js';

/** The path of an agent's memory index: `<agentsDir>/<agentId>/memory/index.json`. */
export function memoryIndexPath(agentsDir: string, agentId: string): string {
  return join(agentsDir, agentId, 'memory', 'index.json');
}

/** One agent's memory: what the tools and the CLI use. */
export interface AgentMemory {
  search(query: string, options?: { maxResults?: number | undefined }): Promise<MemorySearchResult>;
  get(path: string, range?: { from?: number | undefined; lines?: number | undefined }): Promise<MemoryLines>;
  refresh(): Promise<RefreshStats>;
  reindex(): Promise<RefreshStats>;
}

export interface MemoryManagerOptions {
  /** StatePaths.agentsDir: each agent's index lives below it. */
  agentsDir: string;
  /** The environment for `{ source: 'env' }` secret refs (process.env is read only in config). */
  env: Readonly<Record<string, string | undefined>>;
  /** Epoch ms (a Clock's `now`). */
  now?: () => number;
  fetch?: EmbeddingsFetch;
}

/** Which agent, its workspace, and the `memory` config section. */
export interface AgentMemoryInput {
  agentId: string;
  workspaceDir: string;
  config: MemoryConfig;
}

interface Entry {
  index: MemoryIndex;
  warnings: string[];
}

/**
 * Keeps one MemoryIndex per agent (rebuilt when its workspace, chunk size or embeddings settings change,
 * so config hot reloads apply on the next search) and resolves the embeddings API key.
 */
export class MemoryManager {
  readonly #entries = new Map<string, { key: string; entry: Promise<Entry> }>();

  constructor(private readonly options: MemoryManagerOptions) {}

  /** The memory of one agent under the given settings. */
  forAgent(input: AgentMemoryInput): AgentMemory {
    const entry = () => this.#entry(input);
    return {
      search: async (query, opts = {}) => {
        const e = await entry();
        const r = await e.index.search(query, { maxResults: opts.maxResults ?? input.config.maxResults });
        return e.warnings.length ? { ...r, warnings: [...e.warnings, ...r.warnings] } : r;
      },
      get: (path, range) => readMemoryLines(input.workspaceDir, path, range),
      refresh: async () => (await entry()).index.refresh(),
      reindex: async () => (await entry()).index.reindex(),
    };
  }

  #entry(input: AgentMemoryInput): Promise<Entry> {
    const c = input.config;
    const key = JSON.stringify([input.workspaceDir, c.chunkMaxChars, c.embeddings ?? null]);
    const cached = this.#entries.get(input.agentId);
    if (cached?.key === key) return cached.entry;
    const entry = this.#create(input);
    this.#entries.set(input.agentId, { key, entry });
    return entry;
  }

  async #create(input: AgentMemoryInput): Promise<Entry> {
    const { config } = input;
    const warnings: string[] = [];
    let embeddings: ConstructorParameters<typeof MemoryIndex>[0]['embeddings'];
    const e = config.embeddings;
    if (e) {
      let apiKey: string | undefined;
      try {
        apiKey = e.apiKey === undefined ? undefined : await resolveSecret(e.apiKey, this.options.env);
        embeddings = {
          client: createEmbeddingsClient({
            baseUrl: e.baseUrl,
            model: e.model,
            apiKey,
            timeoutMs: e.timeoutMs,
            ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
          }),
          weight: e.weight,
          batchSize: e.batchSize,
        };
      } catch (err) {
        warnings.push(`memory.embeddings.apiKey: ${errorMessage(err)} (ranked by BM25 only)`);
      }
    }
    const index = new MemoryIndex({
      workspaceDir: input.workspaceDir,
      indexPath: memoryIndexPath(this.options.agentsDir, input.agentId),
      chunkMaxChars: config.chunkMaxChars,
      embeddings,
      ...(this.options.now ? { now: this.options.now } : {}),
    });
    return { index, warnings };
  }
}
