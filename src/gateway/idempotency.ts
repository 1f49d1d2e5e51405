import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ErrorShape } from '../protocol/index.js';
import {
  AppendLog,
  BoundedMap,
  CarapaceError,
  type Clock,
  errnoCode,
  writeFileAtomic,
} from '../shared/index.js';

/** One remembered side effect, keyed by (method, idempotencyKey). */
export interface IdempotencyRecord {
  v: 1;
  method: string;
  key: string;
  paramsHash: string;
  status: 'in_flight' | 'done';
  createdAt: number;
  expiresAt: number;
  /** Set when done: the payload or error the first call answered with. */
  ok?: boolean;
  payload?: unknown;
  error?: ErrorShape;
  /** Set on load when the record was in flight while the previous process stopped. */
  recovered?: boolean;
}

export type BeginResult = { kind: 'new' } | { kind: 'in_flight' | 'done'; record: IdempotencyRecord };

export interface IdempotencyOptions {
  ttlMs: number;
  maxEntries: number;
  clock: Clock;
}

/** A stable hash of request params, ignoring key order, so a retry with the same params matches. */
export function hashParams(params: unknown): string {
  return createHash('sha256').update(stableStringify(params)).digest('hex').slice(0, 32);
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Persisted idempotency records (the `IdempotencyStore` port's file implementation): an append-only JSONL
 * file kept open, written on every state change (not synced: a process crash loses nothing; after a power
 * loss the durable inbox and outbound queue still refuse a repeated key of their own), replayed on open, compacted when it holds much more than the live
 * set. Bounded by `maxEntries` (oldest evicted) and `ttlMs`. A repeat key never causes a second effect:
 * `begin` tells the caller whether to run, wait or answer from the record.
 */
export class IdempotencyStore {
  readonly #records: BoundedMap<string, IdempotencyRecord>;
  #linesOnDisk = 0;
  #writes: Promise<void> = Promise.resolve();
  readonly #log: AppendLog;

  private constructor(
    readonly path: string,
    private options: IdempotencyOptions,
  ) {
    this.#log = new AppendLog(path, { mode: 0o600 });
    this.#records = new BoundedMap(options.maxEntries);
  }

  static async open(path: string, options: IdempotencyOptions): Promise<IdempotencyStore> {
    const store = new IdempotencyStore(path, options);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await store.load();
    return store;
  }

  setLimits(ttlMs: number, maxEntries: number): void {
    this.options = { ...this.options, ttlMs, maxEntries };
    this.#records.max = maxEntries; // a lower limit applies at the next write
  }

  get size(): number {
    return this.#records.size;
  }

  /** Look up (method, key). A different params hash for a known key is `IDEMPOTENCY_KEY_REUSED`. */
  begin(method: string, key: string, paramsHash: string): BeginResult {
    const record = this.#get(method, key);
    if (!record) return { kind: 'new' };
    if (record.paramsHash !== paramsHash) {
      throw new CarapaceError(
        'IDEMPOTENCY_KEY_REUSED',
        `idempotencyKey '${key}' was already used for a ${method} request with different params; use a new key for a new request`,
        { details: { method, idempotencyKey: key } },
      );
    }
    return { kind: record.status, record };
  }

  /** Record that the effect for (method, key) has started. Durable before it returns. */
  async start(
    method: string,
    key: string,
    paramsHash: string,
    extra?: Partial<IdempotencyRecord>,
  ): Promise<void> {
    const now = this.options.clock.now();
    const record: IdempotencyRecord = {
      v: 1,
      method,
      key,
      paramsHash,
      status: 'in_flight',
      createdAt: now,
      expiresAt: now + this.options.ttlMs,
      ...extra,
    };
    this.#set(record);
    await this.#append(record);
  }

  /** Record the outcome the first call answered with. Durable before it returns. */
  async finish(
    method: string,
    key: string,
    outcome: { ok: true; payload: unknown } | { ok: false; error: ErrorShape },
  ) {
    const record = this.#get(method, key);
    if (!record) return;
    const done: IdempotencyRecord = { ...record, status: 'done', ...outcome, recovered: undefined };
    if (!outcome.ok) done.payload = undefined;
    this.#set(done);
    await this.#append(done);
  }

  /** Forget a key (an effect that failed before doing anything may be retried). */
  async forget(method: string, key: string): Promise<void> {
    const record = this.#get(method, key);
    if (!record) return;
    this.#records.delete(`${method}\u0000${key}`);
    await this.#append({ ...record, expiresAt: 0 });
  }

  /** Records that were in flight when the previous process stopped. */
  recoveredInFlight(): IdempotencyRecord[] {
    return [...this.#records.values()].filter((r) => r.status === 'in_flight' && r.recovered);
  }

  /** Wait for pending appends and close the file (a later append reopens it). */
  async flush(): Promise<void> {
    await this.#writes;
    await this.#log.close();
  }

  #get(method: string, key: string): IdempotencyRecord | undefined {
    const id = `${method}\u0000${key}`;
    const record = this.#records.get(id);
    if (record && record.expiresAt <= this.options.clock.now()) {
      this.#records.delete(id);
      return undefined;
    }
    return record;
  }

  #set(record: IdempotencyRecord): void {
    const id = `${record.method}\u0000${record.key}`;
    this.#records.set(id, record); // oldest-first by last change; evicts beyond maxEntries
  }

  #append(record: IdempotencyRecord): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    const write = this.#writes.then(async () => {
      await this.#log.append(line, false);
      this.#linesOnDisk++;
      if (this.#linesOnDisk > Math.max(1000, this.#records.size * 4)) await this.#compact();
    });
    this.#writes = write.catch(() => undefined);
    return write;
  }

  async #compact(): Promise<void> {
    const now = this.options.clock.now();
    const live = [...this.#records.values()].filter((r) => r.expiresAt > now);
    await this.#log.close();
    await writeFileAtomic(this.path, live.map((r) => `${JSON.stringify(r)}\n`).join(''), { mode: 0o600 });
    this.#linesOnDisk = live.length;
  }

  private async load(): Promise<void> {
    let text = '';
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    const now = this.options.clock.now();
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      this.#linesOnDisk++;
      let record: IdempotencyRecord;
      try {
        record = JSON.parse(line) as IdempotencyRecord;
      } catch {
        continue; // a torn last line from a crash: the record it began was never acknowledged
      }
      if (record?.v !== 1 || typeof record.key !== 'string' || typeof record.method !== 'string') continue;
      const id = `${record.method}\u0000${record.key}`;
      if (record.expiresAt <= now) {
        this.#records.delete(id);
        continue;
      }
      if (record.status === 'in_flight') record.recovered = true;
      this.#set(record);
    }
    await this.#compact();
  }
}
