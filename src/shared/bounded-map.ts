/**
 * A Map that holds at most `max` entries, ordered oldest first by last `set`: `set` moves its key to the
 * newest place and then forgets the oldest entries beyond `max`. Reads (`get`, `has`, iteration) do not
 * change the order. A `max` below 1 keeps nothing.
 */
export class BoundedMap<K, V> {
  readonly #map = new Map<K, V>();

  /**
   * @param max Most entries kept. May be changed later; a lower value takes effect at the next `set`.
   */
  constructor(public max: number) {}

  get size(): number {
    return this.#map.size;
  }

  /** The value of `key`, leaving its place unchanged. */
  get(key: K): V | undefined {
    return this.#map.get(key);
  }

  has(key: K): boolean {
    return this.#map.has(key);
  }

  /** Store `value` as the newest entry (replacing any older one of `key`), then evict beyond `max`. */
  set(key: K, value: V): this {
    this.#map.delete(key);
    this.#map.set(key, value);
    for (const oldest of this.#map.keys()) {
      if (this.#map.size <= this.max) break;
      this.#map.delete(oldest);
    }
    return this;
  }

  /** Forget `key`; true when it was there. */
  delete(key: K): boolean {
    return this.#map.delete(key);
  }

  /** Entries, oldest first. */
  entries(): MapIterator<[K, V]> {
    return this.#map.entries();
  }

  /** Keys, oldest first. */
  keys(): MapIterator<K> {
    return this.#map.keys();
  }

  /** Values, oldest first. */
  values(): MapIterator<V> {
    return this.#map.values();
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.#map.entries();
  }
}
