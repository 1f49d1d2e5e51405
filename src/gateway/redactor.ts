/** What a registered secret is replaced with in logs, frames and files. */
export const CENSOR = '[REDACTED]';

/** Secrets shorter than this are not masked (they would mask ordinary words). */
const MIN_SECRET_CHARS = 6;

/**
 * The base64 forms of `secret` wherever it sits in a longer encoded text: its encoding at each of the
 * three byte alignments, minus the characters that depend on its neighbours (`Basic …` headers,
 * `user:token` pairs, JSON blobs encoded whole).
 */
function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const out: string[] = [];
  for (const std of [true, false]) {
    const enc = (b: Buffer) => (std ? b.toString('base64') : b.toString('base64url'));
    out.push(enc(bytes));
    for (let pad = 0; pad < 3; pad++) {
      const text = enc(Buffer.concat([Buffer.alloc(pad), bytes])).replace(/=+$/, '');
      // Leading characters mix in the padding bytes; trailing ones depend on what follows.
      const start = pad === 0 ? 0 : Math.ceil((pad * 8) / 6);
      const end = Math.floor(((pad + bytes.length) * 8) / 6);
      const core = text.slice(start, end);
      if (core.length >= MIN_SECRET_CHARS) out.push(core);
    }
  }
  return out;
}

/** Every form of `secret` that must never be written: raw, URL-encoded, JSON-escaped, base64. */
export function secretForms(secret: string): string[] {
  const forms = new Set<string>([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
  for (const f of base64Forms(secret)) forms.add(f);
  return [...forms];
}

/**
 * The gateway's redactor: the registered secrets (the gateway token, every secret the config holds or
 * references, the keys the model runtimes resolved) and every written form of them. Logs, WebSocket
 * frames, tool results and transcripts go through it.
 */
export class SecretScrubber {
  #needles: string[] = [];
  #secrets: string[] = [];
  #source: (() => readonly (string | undefined)[]) | undefined;
  /** The list `set` was last given (compared element by element: cheaper than joining on every use). */
  #last: readonly (string | undefined)[] = [];

  /** Read the secrets from `source` (re-read on each use; the needles are rebuilt when the list changes). */
  setSource(source: () => readonly (string | undefined)[]): void {
    this.#source = source;
    this.#refresh();
  }

  #refresh(): void {
    if (!this.#source) return;
    const list = this.#source();
    const last = this.#last;
    if (list.length !== last.length || list.some((s, i) => s !== last[i])) this.set(list);
  }

  /** Replace the registered secrets. */
  set(secrets: readonly (string | undefined)[]): void {
    this.#last = [...secrets];
    const kept = [...new Set(secrets.filter((s): s is string => !!s && s.length >= MIN_SECRET_CHARS))];
    const needles = new Set<string>();
    for (const s of kept) for (const f of secretForms(s)) needles.add(f);
    this.#secrets = kept;
    this.#needles = [...needles].sort((a, b) => b.length - a.length);
  }

  /** The registered secrets (raw values), e.g. for scrubbing tool results before the model sees them. */
  secrets(): string[] {
    this.#refresh();
    return [...this.#secrets];
  }

  /** True when `text` holds any form of a registered secret. */
  contains(text: string): boolean {
    this.#refresh();
    return this.#needles.some((n) => text.includes(n));
  }

  /** `text` with every form of every registered secret replaced by CENSOR. */
  scrubText(text: string): string {
    this.#refresh();
    let out = text;
    for (const n of this.#needles) if (out.includes(n)) out = out.split(n).join(CENSOR);
    return out;
  }

  /**
   * A frame as JSON text with no registered secret in it. The common case costs one scan of the text;
   * only a frame that holds a secret is scrubbed value by value (so the JSON stays well formed).
   */
  scrubFrame(frame: unknown): string {
    const text = JSON.stringify(frame);
    return this.contains(text) ? JSON.stringify(this.scrub(frame)) : text;
  }

  /** `value` itself when it holds no registered secret, else a scrubbed copy (cheap for the common case). */
  redact<T>(value: T): T {
    if (this.#needles.length === 0 && !this.#source) return value;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    return text !== undefined && this.contains(text) ? this.scrub(value) : value;
  }

  /** A copy of `value` with every string scrubbed (objects and arrays deep, up to 8 levels). */
  scrub<T>(value: T, depth = 0): T {
    if (depth === 0) this.#refresh();
    if (this.#needles.length === 0 || depth > 8) return value;
    if (typeof value === 'string') {
      let out: string = value;
      for (const n of this.#needles) if (out.includes(n)) out = out.split(n).join(CENSOR);
      return out as T;
    }
    if (Array.isArray(value)) return value.map((v) => this.scrub(v, depth + 1)) as T;
    if (value instanceof Error) {
      const copy = new Error(this.scrub(value.message, depth + 1));
      copy.name = value.name;
      if (value.stack) copy.stack = this.scrub(value.stack, depth + 1);
      for (const [k, v] of Object.entries(value))
        (copy as unknown as Record<string, unknown>)[k] = this.scrub(v, depth + 1);
      return copy as T;
    }
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.scrub(v, depth + 1);
      return out as T;
    }
    return value;
  }
}
