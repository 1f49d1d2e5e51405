import { join } from 'node:path';

/** The gateway log file: JSON lines at `<logsDir>/gateway.jsonl`, rotated once to `.1` when too big. */
export function gatewayLogPath(logsDir: string): string {
  return join(logsDir, 'gateway.jsonl');
}

/** The host to listen on for a `gateway.bind` value. */
export function bindHost(bind: string): string {
  if (bind === 'loopback' || bind === 'localhost') return '127.0.0.1';
  if (bind === 'lan' || bind === 'all') return '0.0.0.0';
  return bind;
}
