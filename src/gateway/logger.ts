import { mkdirSync, renameSync, statSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import { gatewayLogPath } from '../config/index.js';
import { CENSOR, type SecretScrubber } from './redactor.js';

export type { Logger } from 'pino';
export { SecretScrubber } from './redactor.js';

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
export interface GatewayLoggerOptions {
  logsDir: string;
  level: string;
  maxFileBytes: number;
  scrubber: SecretScrubber;
}

/**
 * A pino logger writing JSON lines to the state dir, with secrets redacted twice over: by key name
 * (pino's redact) and by value (each line is scrubbed of every form of every registered secret).
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
  // Every line is scrubbed as written: whatever a caller logs (messages, errors, nested objects),
  // no registered secret reaches the file in any form.
  const sink = {
    write: (line: string) => destination.write(options.scrubber.scrubText(line)),
    flush: (cb?: (err?: Error) => void) => destination.flush(cb),
    flushSync: () => destination.flushSync(),
    end: () => destination.end(),
  };
  const logger = pino(
    {
      level: options.level,
      base: { pid: process.pid },
      redact: { paths, censor: CENSOR },
    },
    sink,
  );
  return { logger, file };
}
