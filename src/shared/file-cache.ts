import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { BoundedMap } from './bounded-map.js';
import { errnoCode } from './errors.js';

interface Cached {
  /** mtime (ns), size and inode when read: any change to the file changes one of them. */
  stamp: string;
  text: string;
}

/**
 * Reads small text files that are read far more often than they change (workspace files, auth profiles)
 * and keeps their text while `stat` says the file is unchanged: one `stat` per read instead of an open,
 * read and close. The `stat` is synchronous: a few microseconds on a cached inode, against tens for a
 * thread-pool round trip, and a turn makes several. A missing file rejects with ENOENT, as `readFile`
 * does. Bounded: the oldest entry goes beyond `maxEntries`.
 */
export class TextFileCache {
  readonly #entries: BoundedMap<string, Cached>;

  constructor(options: { maxEntries?: number } = {}) {
    this.#entries = new BoundedMap(options.maxEntries ?? 256);
  }

  /** The file's text (UTF-8), from the cache when unchanged on disk. */
  read = async (path: string): Promise<string> => {
    let stamp: string;
    try {
      const s = statSync(path, { bigint: true });
      stamp = `${s.mtimeNs}:${s.size}:${s.ino}`;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') this.#entries.delete(path);
      throw err;
    }
    const hit = this.#entries.get(path);
    if (hit?.stamp === stamp) return hit.text;
    const text = await readFile(path, 'utf8');
    this.#entries.set(path, { stamp, text });
    return text;
  };

  /** Entries held (for tests and diagnostics). */
  get size(): number {
    return this.#entries.size;
  }
}
