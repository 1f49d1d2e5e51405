import { BoundedMap } from '../../shared/index.js';

/** Finished runs remembered for `agent.wait`. */
const MAX_FINISHED = 2000;

export interface RunInfo {
  runId: string;
  sessionKey: string;
  status: 'queued' | 'running' | 'ok' | 'error' | 'timeout';
  startedAt?: number;
  endedAt?: number;
  error?: string;
}

const ended = (info: RunInfo) => info.status === 'ok' || info.status === 'error' || info.status === 'timeout';

/**
 * What `agent.wait` and `chat.abort` need to know about runs: each run's state by id (the most recently
 * changed `MAX_FINISHED` kept), and the callers waiting for one to end.
 */
export class RunTracker {
  readonly #runs = new BoundedMap<string, RunInfo>(MAX_FINISHED);
  readonly #waiters = new Map<string, ((info: RunInfo) => void)[]>();

  info(runId: string): RunInfo | undefined {
    return this.#runs.get(runId);
  }

  /** Resolve when the run ends, or after `timeoutMs` with its current state. */
  wait(runId: string, timeoutMs: number): Promise<RunInfo | undefined> {
    const info = this.#runs.get(runId);
    if (!info || ended(info)) return Promise.resolve(info);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(this.#runs.get(runId)), timeoutMs);
      const list = this.#waiters.get(runId) ?? [];
      list.push((i) => {
        clearTimeout(timer);
        resolve(i);
      });
      this.#waiters.set(runId, list);
    });
  }

  /** Change a run's state (created as queued if unknown); an ended run wakes its waiters. */
  update(runId: string, patch: Partial<RunInfo>): void {
    const info = {
      ...(this.#runs.get(runId) ?? { runId, sessionKey: '', status: 'queued' as const }),
      ...patch,
    };
    this.#runs.set(runId, info);
    if (ended(info)) {
      for (const w of this.#waiters.get(runId) ?? []) w(info);
      this.#waiters.delete(runId);
    }
  }
}
