import { readFile } from 'node:fs/promises';
import Type, { type Static } from 'typebox';
import { compileValidator } from '../protocol/index.js';
import { errnoCode, writeFileAtomic } from '../shared/index.js';

/** The version of index.json; another version is rebuilt from the files. */
export const MEMORY_INDEX_VERSION = 1;

export const IndexedChunkSchema = Type.Object({
  startLine: Type.Integer({ minimum: 1 }),
  endLine: Type.Integer({ minimum: 1 }),
  text: Type.String(),
  /** sha256 of the text (hex, 32 chars): the key of its embedding. */
  hash: Type.String(),
  terms: Type.Record(Type.String(), Type.Integer({ minimum: 1 })),
  length: Type.Integer({ minimum: 0 }),
});
export type IndexedChunk = Static<typeof IndexedChunkSchema>;

export const IndexedFileSchema = Type.Object({
  mtimeMs: Type.Number(),
  size: Type.Integer({ minimum: 0 }),
  chunks: Type.Array(IndexedChunkSchema),
});
export type IndexedFile = Static<typeof IndexedFileSchema>;

/** The persisted index of one agent's memory files (`<stateDir>/agents/<id>/memory/index.json`). */
export const MemoryIndexFileSchema = Type.Object({
  version: Type.Literal(MEMORY_INDEX_VERSION),
  chunkMaxChars: Type.Integer({ minimum: 1 }),
  files: Type.Record(Type.String(), IndexedFileSchema),
  /** Embeddings by chunk hash for one endpoint and model; little-endian float32, base64. */
  embeddings: Type.Optional(
    Type.Object({
      key: Type.String(),
      vectors: Type.Record(Type.String(), Type.String()),
    }),
  ),
});
export type MemoryIndexFile = Static<typeof MemoryIndexFileSchema>;

const validator = () => compileValidator<MemoryIndexFile>(MemoryIndexFileSchema);

/** An empty index. */
export function emptyIndex(chunkMaxChars: number): MemoryIndexFile {
  return { version: MEMORY_INDEX_VERSION, chunkMaxChars, files: {} };
}

/** Read index.json; a missing, unreadable, invalid or other-version file reads as undefined (rebuild). */
export async function loadIndexFile(path: string): Promise<MemoryIndexFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(text);
    return validator().check(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Replace index.json atomically (0600: it holds copies of the memory files). */
export function saveIndexFile(path: string, index: MemoryIndexFile): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(index), { mode: 0o600 });
}

/** A vector as stored in index.json. */
export function encodeVector(v: readonly number[]): string {
  return Buffer.from(new Float32Array(v).buffer).toString('base64');
}

/** A vector from index.json. */
export function decodeVector(s: string): Float32Array {
  const buf = Buffer.from(s, 'base64');
  const copy = new Uint8Array(buf.byteLength - (buf.byteLength % 4));
  copy.set(buf.subarray(0, copy.byteLength));
  return new Float32Array(copy.buffer);
}
