import { mkdir, readFile, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import type { CronRunEntry, CronRunStatus } from '../protocol/index.js';
import { appendFileDurable, errnoCode, writeFileAtomic } from '../shared/index.js';
import type { SchedulerLog } from './ports.js';

/** Who asked for a run: the schedule, or an operator (`cron.run` with force). */
export type RunTrigger = 'schedule' | 'manual';

/** Written (fsync) before a run starts. The pair (jobId, scheduledAt) names the slot. */
export interface StartRecord {
  type: 'start';
  runId: string;
  jobId: string;
  scheduledAt: number;
  trigger: RunTrigger;
  startedAt: number;
}

/** Written (fsync) when a run ends, or at the next start for a run the process did not finish. */
export interface EndRecord extends Omit<StartRecord, 'type'> {
  type: 'end';
  endedAt: number;
  status: CronRunStatus;
  error?: string;
  summary?: string;
}

/** Due slots that were not run (caught up by one later run), as a range. */
export interface SkippedRecord {
  type: 'skipped';
  jobId: string;
  scheduledAt: number;
  lastScheduledAt: number;
  count: number;
  capped?: boolean;
  at: number;
}

export type RunRecord = StartRecord | EndRecord | SkippedRecord;

/** What a job's run log says about its past, read once at start. */
export interface RunHistory {
  /** The newest slot the schedule has started or skipped; no slot at or before it runs again. */
  highWater?: number;
  /** A run that started and never ended (the process died during it). */
  open?: StartRecord;
  lastEnd?: EndRecord;
}

/**
 * `<cronDir>/runs/<jobId>.jsonl`: one JSON record per line, each appended with fsync. Bounded: past
 * `maxEntries` (plus slack) the file is rewritten atomically with its newest `maxEntries` lines.
 */
export class RunLog {
  readonly dir: string;
  maxEntries: number;
  readonly #log: SchedulerLog | undefined;
  readonly #lines = new Map<string, number>();

  constructor(cronDir: string, maxEntries: number, log?: SchedulerLog) {
    this.dir = join(cronDir, 'runs');
    this.maxEntries = maxEntries;
    this.#log = log;
  }

  #path(jobId: string): string {
    return join(this.dir, `${encodeURIComponent(jobId)}.jsonl`);
  }

  /** Every record, oldest first. A torn last line (a crash mid-append) is cut off the file. */
  async read(jobId: string): Promise<RunRecord[]> {
    const path = this.#path(jobId);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return [];
      throw err;
    }
    if (text.length > 0 && !text.endsWith('\n')) {
      const keep = text.lastIndexOf('\n') + 1;
      await truncate(path, Buffer.byteLength(text.slice(0, keep)));
      text = text.slice(0, keep);
    }
    const records: RunRecord[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        records.push(JSON.parse(line) as RunRecord);
      } catch {
        this.#log?.warn(`cron: skipped a damaged line in ${path}`);
      }
    }
    this.#lines.set(jobId, records.length);
    return records;
  }

  /** The job's history: its high-water slot, a run left open by a crash, and the last end. */
  async history(jobId: string): Promise<RunHistory> {
    const out: RunHistory = {};
    const open = new Map<string, StartRecord>();
    for (const rec of await this.read(jobId)) {
      if (rec.type === 'start') {
        open.set(rec.runId, rec);
        if (rec.trigger === 'schedule') out.highWater = Math.max(out.highWater ?? -Infinity, rec.scheduledAt);
      } else if (rec.type === 'end') {
        open.delete(rec.runId);
        out.lastEnd = rec;
      } else if (rec.type === 'skipped') {
        out.highWater = Math.max(out.highWater ?? -Infinity, rec.lastScheduledAt);
      }
    }
    const left = [...open.values()];
    if (left.length > 0) out.open = left[left.length - 1];
    return out;
  }

  /** Append one record durably (fsync before resolving), trimming the file when it grew too long. */
  async append(rec: RunRecord): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await appendFileDurable(this.#path(rec.jobId), `${JSON.stringify(rec)}\n`, true);
    const lines = (this.#lines.get(rec.jobId) ?? (await this.#count(rec.jobId))) + 1;
    this.#lines.set(rec.jobId, lines);
    if (lines > this.maxEntries + Math.max(10, Math.floor(this.maxEntries / 4))) await this.#trim(rec.jobId);
  }

  async #count(jobId: string): Promise<number> {
    try {
      const text = await readFile(this.#path(jobId), 'utf8');
      return text.split('\n').filter(Boolean).length - 1;
    } catch {
      return 0;
    }
  }

  async #trim(jobId: string): Promise<void> {
    const path = this.#path(jobId);
    const lines = (await readFile(path, 'utf8')).split('\n').filter(Boolean);
    const kept = lines.slice(-this.maxEntries);
    await writeFileAtomic(path, `${kept.join('\n')}\n`, { mode: 0o600 });
    this.#lines.set(jobId, kept.length);
  }

  /** Forget a removed job's log. */
  async remove(jobId: string): Promise<void> {
    this.#lines.delete(jobId);
    await rm(this.#path(jobId), { force: true });
  }

  /** Runs and skipped ranges, newest first, for `cron.runs`. */
  async entries(jobId: string, limit: number): Promise<CronRunEntry[]> {
    const runs = new Map<string, CronRunEntry>();
    const out: CronRunEntry[] = [];
    for (const rec of await this.read(jobId)) {
      if (rec.type === 'skipped') {
        const e: CronRunEntry = {
          kind: 'skipped',
          jobId,
          scheduledAt: rec.scheduledAt,
          lastScheduledAt: rec.lastScheduledAt,
          count: rec.count,
          status: 'skipped',
        };
        out.push(e);
        continue;
      }
      let e = runs.get(rec.runId);
      if (!e) {
        e = { kind: 'run', jobId, runId: rec.runId, scheduledAt: rec.scheduledAt, status: 'running' };
        runs.set(rec.runId, e);
        out.push(e);
      }
      e.trigger = rec.trigger;
      e.startedAt = rec.startedAt;
      if (rec.type === 'end') {
        e.status = rec.status;
        e.endedAt = rec.endedAt;
        e.durationMs = rec.endedAt - rec.startedAt;
        if (rec.error !== undefined) e.error = rec.error;
        if (rec.summary !== undefined) e.summary = rec.summary;
      }
    }
    return out.reverse().slice(0, limit);
  }
}
