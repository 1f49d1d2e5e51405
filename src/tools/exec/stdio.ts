import { closeSync, constants, openSync, statSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { CarapaceError } from '../../shared/index.js';
import type { PlannedRedirect } from '../approvals/index.js';

/** Where one of a command's fds 0–2 goes. */
export type StdioTarget =
  | { t: 'stdin' }
  | { t: 'pipe-in' }
  | { t: 'capture' }
  | { t: 'ignore' }
  | { t: 'fd'; fd: number }
  | { t: 'stream'; stream: Writable }
  | { t: 'data'; data: string };

const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;
const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Open a redirect target. Only regular files (and /dev/null) are accepted, so a FIFO or device cannot
 * block the gateway or reach hardware; a final symlink is not followed for writes.
 */
function openTarget(r: PlannedRedirect): number {
  const path = r.path!;
  if (path !== '/dev/null') {
    try {
      const st = statSync(path);
      if (!st.isFile()) throw new CarapaceError('EXEC_REDIRECT_INVALID', `${path}: not a regular file`);
    } catch (err) {
      if (r.kind === 'read' || !(err instanceof Error && 'code' in err && err.code === 'ENOENT')) throw err;
    }
  }
  if (r.kind === 'read') return openSync(path, READ_FLAGS);
  const mode = r.kind === 'append' ? constants.O_APPEND : constants.O_TRUNC;
  return openSync(path, WRITE_FLAGS | mode, 0o644);
}

/**
 * The fd table of one command of a pipeline: defaults (stdin from the job or the previous command, stdout
 * captured or into the next command, stderr captured), then each redirection applied in order, as sh does
 * (`>f 2>&1` sends both to f; `2>&1 >f` sends only stdout). Opened fds are appended to `opened`.
 */
export function buildTargets(
  redirects: readonly PlannedRedirect[],
  first: boolean,
  last: boolean,
  nextStdin: Writable | null,
  opened: number[],
): StdioTarget[] {
  const targets: StdioTarget[] = [
    first ? { t: 'stdin' } : { t: 'pipe-in' },
    last ? { t: 'capture' } : nextStdin ? { t: 'stream', stream: nextStdin } : { t: 'ignore' },
    { t: 'capture' },
  ];
  for (const r of redirects) {
    if (r.fd > 2) continue;
    if (r.kind === 'dup') targets[r.fd] = targets[r.from ?? -1] ?? { t: 'ignore' };
    else if (r.kind === 'data') targets[r.fd] = { t: 'data', data: r.data ?? '' };
    else {
      const fd = openTarget(r);
      opened.push(fd);
      targets[r.fd] = { t: 'fd', fd };
    }
  }
  return targets;
}

/** The `stdio` option for spawn. */
export function toStdio(targets: readonly StdioTarget[]): Array<'pipe' | 'ignore' | number | Writable> {
  return targets.map((target, fd) => {
    switch (target.t) {
      case 'fd':
        return target.fd;
      case 'stream':
        return target.stream;
      case 'ignore':
        return 'ignore';
      case 'capture':
        return 'pipe';
      default:
        // stdin, pipe-in and data make sense only on fd 0.
        return fd === 0 ? 'pipe' : 'ignore';
    }
  });
}

/** Close fds the parent opened for a child (the child holds its own copies). */
export function closeAll(fds: number[]): void {
  for (const fd of fds.splice(0)) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
}
