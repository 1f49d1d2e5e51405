/**
 * memory: the agent's memory in plain workspace files (MEMORY.md, daily logs memory/YYYY-MM-DD.md), a
 * pure-JS BM25 index over their chunks persisted in the state dir and refreshed as files change, optional
 * embeddings blended in, and the memory_search / memory_get tools. See README.md.
 */

export type { Bm25Doc } from './bm25.js';
export { bm25Scores, cosine } from './bm25.js';
export type { Chunk } from './chunk.js';
export { chunkMarkdown } from './chunk.js';
export type { EmbeddingsClient, EmbeddingsClientOptions, EmbeddingsFetch } from './embeddings.js';
export { createEmbeddingsClient } from './embeddings.js';
export type { MemoryFile } from './files.js';
export { dailyLogPath, isMemoryPath, listMemoryFiles, MEMORY_DIR, MEMORY_FILE } from './files.js';
export type { MemoryLines } from './get.js';
export { MEMORY_GET_MAX_LINES, readMemoryLines } from './get.js';
export type { AgentMemory, AgentMemoryInput, MemoryManagerOptions } from './manager.js';
export { MemoryManager, memoryIndexPath } from './manager.js';
export type { MemoryHit, MemoryIndexOptions, MemorySearchResult, RefreshStats } from './memory-index.js';
export { EMBEDDINGS_PAUSE_MS, MemoryIndex, SNIPPET_MAX_CHARS } from './memory-index.js';
export { tokenize } from './tokenize.js';
export { createMemoryTools } from './tools.js';
