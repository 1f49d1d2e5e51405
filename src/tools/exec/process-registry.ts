import { shortId } from '../../shared/index.js';
import type { ExecJob, JobStatus } from './job.js';

/** Called when a background process ends (the gateway turns it into a system event for the session). */
export type ExecNotify = (sessionKey: string, text: string) => void;

export interface ProcessSummary {
  processId: string;
  command: string;
  status: JobStatus;
  exitCode: number | null;
  startedAtMs: number;
  outputChars: number;
}

export interface ProcessPoll {
  processId: string;
  status: JobStatus;
  exitCode: number | null;
  /** Output since the previous poll. */
  output: string;
  /** Characters between the previous poll and now that were dropped by the output cap. */
  missedChars: number;
}

interface Entry {
  id: string;
  sessionKey: string;
  command: string;
  job: ExecJob;
  cursor: number;
}

export interface ProcessRegistryOptions {
  notify?: ExecNotify;
  /** Finished processes kept per session for a last poll (oldest dropped first). Default 20. */
  keepFinished?: number;
  newId?: () => string;
}

/**
 * Background processes, owned per session: a session sees and controls only its own. A process that
 * ends is reported through `notify` and stays listed (bounded) so its output can still be read.
 */
export class ProcessRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly keepFinished: number;
  private readonly newId: () => string;

  constructor(private readonly options: ProcessRegistryOptions = {}) {
    this.keepFinished = options.keepFinished ?? 20;
    this.newId = options.newId ?? (() => `proc_${shortId()}`);
  }

  /** Take over a running job for `sessionKey`; returns its process id. */
  adopt(job: ExecJob, sessionKey: string, command: string, cursor = 0): string {
    const id = this.newId();
    this.entries.set(id, { id, sessionKey, command, job, cursor });
    void job.done.then((result) => {
      this.prune(sessionKey);
      const code = result.exitCode === null ? '' : ` with code ${result.exitCode}`;
      const tail = job.output.tail(400).trimEnd();
      const text =
        `Background process ${id} ${result.status}${code}: ${command}` +
        (tail ? `\nLast output:\n${tail}` : '') +
        `\nUse the process tool (poll ${id}) for the rest.`;
      try {
        this.options.notify?.(sessionKey, text);
      } catch {
        // notification is best effort
      }
    });
    return id;
  }

  list(sessionKey: string): ProcessSummary[] {
    return [...this.entries.values()]
      .filter((e) => e.sessionKey === sessionKey)
      .map((e) => ({
        processId: e.id,
        command: e.command,
        status: e.job.status,
        exitCode: e.job.result?.exitCode ?? null,
        startedAtMs: e.job.startedAtMs,
        outputChars: e.job.output.end,
      }));
  }

  /** New output since the last poll. Undefined when the session owns no such process. */
  poll(sessionKey: string, id: string): ProcessPoll | undefined {
    const e = this.owned(sessionKey, id);
    if (!e) return undefined;
    const read = e.job.output.readFrom(e.cursor);
    e.cursor = read.next;
    return {
      processId: id,
      status: e.job.status,
      exitCode: e.job.result?.exitCode ?? null,
      output: read.text,
      missedChars: read.missed,
    };
  }

  /** The last `chars` characters of output (does not move the poll cursor). */
  log(sessionKey: string, id: string, chars: number): { status: JobStatus; output: string } | undefined {
    const e = this.owned(sessionKey, id);
    if (!e) return undefined;
    return { status: e.job.status, output: e.job.output.tail(chars) };
  }

  /** Write to stdin (and close it with `eof`). False when not owned, finished, or without stdin. */
  write(sessionKey: string, id: string, data: string, eof: boolean): boolean {
    const e = this.owned(sessionKey, id);
    if (e?.job.status !== 'running') return false;
    const wrote = data === '' ? true : e.job.write(data);
    if (eof) return e.job.closeStdin() && wrote;
    return wrote;
  }

  /** Kill the process group(s) and wait for the end. False when the session owns no such process. */
  async kill(sessionKey: string, id: string): Promise<boolean> {
    const e = this.owned(sessionKey, id);
    if (!e) return false;
    e.job.kill('killed');
    await e.job.done;
    return true;
  }

  /** Kill every process of a session (session reset or delete). */
  async killSession(sessionKey: string): Promise<void> {
    const mine = [...this.entries.values()].filter((e) => e.sessionKey === sessionKey);
    for (const e of mine) e.job.kill('killed');
    await Promise.all(mine.map((e) => e.job.done));
  }

  /** Kill everything (gateway shutdown). */
  async stop(): Promise<void> {
    const all = [...this.entries.values()];
    for (const e of all) e.job.kill('killed');
    await Promise.all(all.map((e) => e.job.done));
  }

  private owned(sessionKey: string, id: string): Entry | undefined {
    const e = this.entries.get(id);
    return e && e.sessionKey === sessionKey ? e : undefined;
  }

  private prune(sessionKey: string): void {
    const finished = [...this.entries.values()].filter(
      (e) => e.sessionKey === sessionKey && e.job.status !== 'running',
    );
    for (const e of finished.slice(0, Math.max(0, finished.length - this.keepFinished)))
      this.entries.delete(e.id);
  }
}
