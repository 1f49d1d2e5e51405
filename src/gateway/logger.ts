import { mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

const SECRET_KEYS = [
  'token',
  'password',
  'secret',
  'apiKey',
  'authorization',
  'botToken',
  'appToken',
  'signingSecret',
  'privateKey',
  'deviceToken',
];
const CENSOR = '[REDACTED]';

/** Replaces every known secret (raw, URL-encoded, base64, JSON-escaped) inside strings of a log record. */
export class SecretScrubber {
  #needles: string[] = [];
  #source: (() => readonly (string | undefined)[]) | undefined;
  #signature = '';

  /** Read the secrets from `source` (re-read whenever the list it returns changes). */
  setSource(source: () => readonly (string | undefined)[]): void {
    this.#source = source;
    this.#refresh();
  }

  #refresh(): void {
    if (!this.#source) return;
    const list = this.#source();
    const signature = list.map((s) => s?.length ?? 0).join(',');
    if (signature !== this.#signature) {
      this.#signature = signature;
      this.set(list);
    }
  }

  set(secrets: readonly (string | undefined)[]): void {
    const needles = new Set<string>();
    for (const s of secrets) {
      if (!s || s.length < 6) continue;
      needles.add(s);
      needles.add(encodeURIComponent(s));
      needles.add(Buffer.from(s).toString('base64'));
      needles.add(JSON.stringify(s).slice(1, -1));
    }
    this.#needles = [...needles].sort((a, b) => b.length - a.length);
  }

  scrub<T>(value: T, depth = 0): T {
    if (depth === 0) this.#refresh();
    if (this.#needles.length === 0 || depth > 8) return value;
    if (typeof value === 'string') {
      let out: string = value;
      for (const n of this.#needles) if (out.includes(n)) out = out.split(n).join(CENSOR);
      return out as T;
    }
    if (Array.isArray(value)) return value.map((v) => this.scrub(v, depth + 1)) as T;
    if (value && typeof value === 'object' && !(value instanceof Error)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.scrub(v, depth + 1);
      return out as T;
    }
    return value;
  }
}

export interface GatewayLoggerOptions {
  logsDir: string;
  level: string;
  maxFileBytes: number;
  scrubber: SecretScrubber;
}

/** The gateway log file: JSON lines at `<logsDir>/gateway.jsonl`, rotated once to `.1` when too big. */
export function gatewayLogPath(logsDir: string): string {
  return join(logsDir, 'gateway.jsonl');
}

/**
 * A pino logger writing JSON lines to the state dir, with secrets redacted twice over: by key name
 * (pino's redact) and by value (every known secret string is masked wherever it appears).
 */
export function createGatewayLogger(options: GatewayLoggerOptions): { logger: Logger; file: string } {
  mkdirSync(options.logsDir, { recursive: true, mode: 0o700 });
  const file = gatewayLogPath(options.logsDir);
  try {
    if (statSync(file).size > options.maxFileBytes) renameSync(file, `${file}.1`);
  } catch {
    // no log yet
  }
  const destination = pino.destination({ dest: file, sync: false, mkdir: true, minLength: 0 });
  const paths = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);
  const logger = pino(
    {
      level: options.level,
      base: { pid: process.pid },
      redact: { paths, censor: CENSOR },
      formatters: { log: (obj) => options.scrubber.scrub(obj) },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => options.scrubber.scrub(a)) as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
  return { logger, file };
}
