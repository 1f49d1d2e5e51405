import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CronJob, CronJobSchema, compileValidator, formatIssues } from '../protocol/index.js';
import { CarapaceError, errnoCode, errorMessage, writeFileAtomic } from '../shared/index.js';
import type { SchedulerLog } from './ports.js';

/** The version of `cron/jobs.json` this code writes. */
export const JOBS_FILE_VERSION = 1;

const validJob = compileValidator<CronJob>(CronJobSchema);

/**
 * `<cronDir>/jobs.json`: `{version, jobs}`, replaced atomically (temp file, fsync, rename) with the
 * previous contents kept as `jobs.json.bak`. Writes are serialized; each writes the latest snapshot.
 */
export class JobStore {
  readonly path: string;
  readonly #log: SchedulerLog | undefined;
  #chain: Promise<void> = Promise.resolve();
  #queued: Promise<void> | undefined;

  constructor(cronDir: string, log?: SchedulerLog) {
    this.path = join(cronDir, 'jobs.json');
    this.#log = log;
  }

  /** Read the jobs; a missing file is none. A damaged file falls back to the backup, else throws. */
  async load(): Promise<CronJob[]> {
    try {
      return await this.#read(this.path);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return [];
      try {
        const jobs = await this.#read(`${this.path}.bak`);
        this.#log?.warn('cron: jobs.json is damaged; loaded jobs.json.bak', { error: errorMessage(err) });
        return jobs;
      } catch {
        throw err;
      }
    }
  }

  async #read(path: string): Promise<CronJob[]> {
    const text = await readFile(path, 'utf8');
    let doc: { version?: unknown; jobs?: unknown };
    try {
      doc = JSON.parse(text) as typeof doc;
    } catch (err) {
      throw new CarapaceError('CRON_STORE_INVALID', `${path} is not valid JSON: ${errorMessage(err)}`, {
        details: { path },
      });
    }
    if (doc.version !== JOBS_FILE_VERSION || !Array.isArray(doc.jobs)) {
      throw new CarapaceError(
        'CRON_STORE_INVALID',
        `${path} has version ${JSON.stringify(doc.version)}; this build reads version ${JOBS_FILE_VERSION}`,
        { details: { path } },
      );
    }
    const seen = new Set<string>();
    const jobs: CronJob[] = [];
    for (const [i, job] of doc.jobs.entries()) {
      if (!validJob.check(job)) {
        this.#log?.warn(`cron: dropped job ${i} of ${path}: ${formatIssues(validJob.issues(job))}`);
      } else if (seen.has(job.id)) {
        this.#log?.warn(`cron: dropped a second job with id ${job.id} in ${path}`);
      } else {
        seen.add(job.id);
        jobs.push(job);
      }
    }
    return jobs;
  }

  /**
   * Persist `snapshot()`, taken when the write starts, so the newest state wins. Callers that arrive
   * while a write is queued share it (their changes are in its snapshot).
   */
  save(snapshot: () => readonly CronJob[]): Promise<void> {
    if (this.#queued) return this.#queued;
    const run = this.#chain.then(() => {
      this.#queued = undefined;
      return writeFileAtomic(
        this.path,
        `${JSON.stringify({ version: JOBS_FILE_VERSION, jobs: snapshot() }, null, 2)}\n`,
        { mode: 0o600, backup: true },
      );
    });
    this.#queued = run;
    this.#chain = run.catch(() => undefined);
    return run;
  }
}
