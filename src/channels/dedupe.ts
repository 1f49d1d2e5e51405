import { type FileHandle, mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errnoCode, writeFileAtomic } from '../shared/index.js';

/** Ids kept per file by default. */
export const DEDUPE_CAPACITY = 10_000;

/**
 * The platform message ids an account has already seen, persisted (one id per line, appended) and
 * bounded: the newest `capacity` ids are kept, and the file is rewritten when it holds twice that.
 * Appends are not fsync'd: they survive a process crash (the page cache does); the idempotency key the
 * sink gets covers the rest.
 */
export class DedupeStore {
  readonly #seen = new Set<string>();
  #lines = 0;
  #handle: FileHandle | undefined;
  #writes: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string,
    readonly capacity: number,
  ) {}

  static async open(path: string, capacity = DEDUPE_CAPACITY): Promise<DedupeStore> {
    const store = new DedupeStore(path, capacity);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      store.#lines++;
      store.#remember(line);
    }
    store.#handle = await open(path, 'a', 0o600);
    return store;
  }

  has(id: string): boolean {
    return this.#seen.has(id);
  }

  /** Record `id`. False when it was already seen (a redelivery). */
  async add(id: string): Promise<boolean> {
    const clean = id.replace(/[\r\n]/g, ' ');
    if (this.#seen.has(clean)) return false;
    this.#remember(clean);
    this.#lines++;
    const write = this.#writes.then(() => this.#append(`${clean}\n`));
    this.#writes = write.catch(() => {});
    await write;
    return true;
  }

  async close(): Promise<void> {
    await this.#writes;
    await this.#handle?.close();
    this.#handle = undefined;
  }

  #remember(id: string): void {
    this.#seen.delete(id);
    this.#seen.add(id);
    while (this.#seen.size > this.capacity) {
      const oldest = this.#seen.values().next().value as string;
      this.#seen.delete(oldest);
    }
  }

  async #append(line: string): Promise<void> {
    if (!this.#handle) return;
    if (this.#lines > this.capacity * 2) {
      await this.#handle.close();
      await writeFileAtomic(this.path, [...this.#seen].map((s) => `${s}\n`).join(''), { mode: 0o600 });
      this.#lines = this.#seen.size;
      this.#handle = await open(this.path, 'a', 0o600);
      return;
    }
    await this.#handle.write(line);
  }
}
