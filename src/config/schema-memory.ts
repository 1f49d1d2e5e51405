import Type, { type Static } from 'typebox';
import { SecretRefSchema } from './schema-secret.js';

const closed = { additionalProperties: false } as const;

/** An OpenAI-compatible embeddings endpoint (`POST <baseUrl>/embeddings`) whose scores blend into search. */
export const MemoryEmbeddingsSchema = Type.Object(
  {
    baseUrl: Type.String({ minLength: 1, description: 'API base URL, e.g. https://api.openai.com/v1.' }),
    apiKey: Type.Optional(SecretRefSchema),
    model: Type.String({ minLength: 1, description: "Embedding model id, e.g. 'text-embedding-3-small'." }),
    weight: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.5,
      description: 'Share of the vector score in the blended rank (the rest is BM25).',
    }),
    batchSize: Type.Integer({ minimum: 1, maximum: 2048, default: 64 }),
    timeoutMs: Type.Integer({ minimum: 100, default: 30_000 }),
  },
  closed,
);
export type MemoryEmbeddingsConfig = Static<typeof MemoryEmbeddingsSchema>;

/**
 * `memory`: search over the workspace's MEMORY.md and memory/*.md (daily logs). The index lives in
 * `<stateDir>/agents/<agentId>/memory/index.json` and follows the files as they change.
 */
export const MemorySchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Offer memory_search and memory_get.' }),
    chunkMaxChars: Type.Integer({
      minimum: 200,
      maximum: 20_000,
      default: 1200,
      description: 'Largest chunk of a memory file that is indexed and returned as one snippet.',
    }),
    maxResults: Type.Integer({ minimum: 1, maximum: 50, default: 6 }),
    embeddings: Type.Optional(MemoryEmbeddingsSchema),
  },
  { ...closed, default: {} },
);
export type MemoryConfig = Static<typeof MemorySchema>;
