import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CronJob, CronJobSchema, compileValidator, formatIssues } from '../protocol/index.js';
import { type AgentDirectory, createJob } from '../scheduler/index.js';
import { backupFile, errorMessage, writeFileAtomic } from '../shared/index.js';
import { agentIdOf } from './config-agents.js';
import type { Reporter } from './report.js';
import { type Json, obj, readJson, str } from './source.js';

/** The jobs file version the scheduler reads (scheduler README: `{version: 1, jobs}`). */
const JOBS_VERSION = 1;
const validJob = compileValidator<CronJob>(CronJobSchema);

/** OpenClaw's schedule as Carapace's; `notes` collects what was dropped. */
function scheduleOf(s: Json, notes: string[]): CronJob['schedule'] | string {
  if (s.kind === 'at') {
    const at = typeof s.atMs === 'number' ? new Date(s.atMs).toISOString() : str(s.at);
    return at ? { kind: 'at', at } : 'an at schedule without a time';
  }
  if (s.kind === 'every') {
    if (!(typeof s.everyMs === 'number' && s.everyMs >= 100)) return 'an every schedule without everyMs';
    return typeof s.anchorMs === 'number'
      ? { kind: 'every', everyMs: s.everyMs, anchorMs: s.anchorMs }
      : { kind: 'every', everyMs: s.everyMs };
  }
  const expr = str(s.expr) ?? str(s.cron);
  if (s.kind === 'cron' || expr) {
    if (!expr) return 'a cron schedule without expr';
    if (s.staggerMs !== undefined) notes.push('staggerMs dropped');
    return str(s.tz) ? { kind: 'cron', expr, tz: String(s.tz) } : { kind: 'cron', expr };
  }
  return `schedule kind '${String(s.kind)}'`;
}

function payloadOf(p: Json, notes: string[]): CronJob['payload'] | string {
  if (p.kind === 'systemEvent' && str(p.text)) return { kind: 'systemEvent', text: String(p.text) };
  if (p.kind === 'agentTurn' && str(p.message)) {
    const out: CronJob['payload'] = { kind: 'agentTurn', message: String(p.message) };
    if (str(p.model)) out.model = String(p.model);
    if (Number.isInteger(p.timeoutSeconds) && (p.timeoutSeconds as number) >= 1)
      out.timeoutSeconds = p.timeoutSeconds as number;
    const dropped = Object.keys(p).filter((k) => !['kind', 'message', 'model', 'timeoutSeconds'].includes(k));
    if (dropped.length > 0) notes.push(`payload ${dropped.join(', ')} dropped`);
    return out;
  }
  return `payload kind '${String(p.kind)}'`;
}

function deliveryOf(d: Json | undefined, notes: string[]): CronJob['delivery'] | undefined {
  if (!d || d.mode === 'none') return undefined;
  if (d.mode === 'webhook' || !str(d.channel) || !str(d.to) || d.channel === 'last') {
    notes.push(
      `delivery (${String(d.mode ?? 'announce')} to ${String(d.channel ?? d.to ?? 'last')}) dropped: Carapace announces to a fixed channel and recipient`,
    );
    return undefined;
  }
  const out: NonNullable<CronJob['delivery']> = { channel: String(d.channel), to: String(d.to) };
  if (str(d.accountId)) out.accountId = String(d.accountId);
  if (d.bestEffort === true) out.bestEffort = true;
  return out;
}

/** One OpenClaw job as a Carapace job, or the reason it cannot be one. */
function convertJob(
  raw: Json,
  agents: AgentDirectory,
  now: number,
): { job: CronJob; notes: string[] } | string {
  const notes: string[] = [];
  const target = raw.sessionTarget ?? 'isolated';
  if (target !== 'main' && target !== 'isolated')
    return `sessionTarget '${String(target)}': Carapace runs jobs in the main session or an isolated one`;
  const schedule = scheduleOf(obj(raw.schedule) ?? {}, notes);
  if (typeof schedule === 'string') return `unsupported ${schedule}`;
  const payload = payloadOf(obj(raw.payload) ?? {}, notes);
  if (typeof payload === 'string') return `unsupported ${payload}`;
  const agentId = raw.agentId === undefined ? undefined : agentIdOf(raw.agentId);
  const delivery = deliveryOf(obj(raw.delivery), notes);
  const ranOnce = schedule.kind === 'at' && obj(raw.state)?.lastRunAtMs !== undefined;
  const job = createJob(
    {
      name: (str(raw.name) ?? str(raw.id) ?? 'imported job').slice(0, 200),
      ...(str(raw.description) ? { description: String(raw.description).slice(0, 2000) } : {}),
      ...(agentId ? { agentId } : {}),
      enabled: raw.enabled !== false && !ranOnce,
      schedule,
      sessionTarget: target,
      wakeMode: raw.wakeMode === 'next-heartbeat' ? 'next-heartbeat' : 'now',
      payload,
      ...(delivery ? { delivery } : {}),
      ...(raw.deleteAfterRun === true ? { deleteAfterRun: true } : {}),
    },
    now,
    agents,
  );
  if (ranOnce && raw.enabled !== false)
    notes.push('a one-shot that already ran in OpenClaw: imported disabled');
  // Keep OpenClaw's id (a re-import finds it) and its slots: an interval stays on its old anchor.
  const id = str(raw.id) ?? str(raw.jobId);
  if (id && id.length <= 128) job.id = id;
  if (typeof raw.createdAtMs === 'number') {
    job.createdAtMs = raw.createdAtMs;
    if (job.schedule.kind === 'every' && job.schedule.anchorMs === undefined)
      job.schedule.anchorMs = raw.createdAtMs;
  }
  return { job, notes };
}

/**
 * `cron/jobs.json` of OpenClaw into Carapace's `cron/jobs.json`: jobs keep their ids; a job whose id is
 * already there is skipped; run history is not carried over (a job starts with a clean state). The old
 * file is kept as `jobs.json.bak`.
 */
export async function importCron(
  sourceDir: string,
  cronDir: string,
  agents: AgentDirectory,
  now: number,
  report: Reporter,
  dryRun: boolean,
): Promise<void> {
  const read = await readJson(join(sourceDir, 'cron', 'jobs.json'));
  if (!read) return;
  if (read.error !== undefined) {
    report.skipped('cron', 'cron/jobs.json', read.error);
    return;
  }
  const doc = obj(read.value);
  const list = Array.isArray(read.value) ? read.value : Array.isArray(doc?.jobs) ? doc.jobs : [];
  const target = join(cronDir, 'jobs.json');
  const existingText = await readFile(target, 'utf8').catch(() => undefined);
  const existing = existingText ? (obj(JSON.parse(existingText)) ?? {}) : { version: JOBS_VERSION, jobs: [] };
  const jobs = Array.isArray(existing.jobs) ? (existing.jobs as Json[]) : [];
  let added = 0;
  for (const value of list) {
    const raw = obj(value);
    const label = `job '${String(raw?.name ?? raw?.id ?? '?')}'`;
    if (!raw) continue;
    let converted: ReturnType<typeof convertJob>;
    try {
      converted = convertJob(raw, agents, now);
    } catch (err) {
      converted = errorMessage(err);
    }
    if (typeof converted === 'string') {
      report.skipped('cron', label, converted);
      continue;
    }
    const { job, notes } = converted;
    if (!validJob.check(job)) {
      report.skipped('cron', label, formatIssues(validJob.issues(job)));
      continue;
    }
    if (jobs.some((j) => j.id === job.id)) {
      report.skipped('cron', label, `Carapace already has job ${job.id}`);
      continue;
    }
    jobs.push(job as unknown as Json);
    added++;
    if (notes.length > 0) report.changed('cron', label, notes.join('; '));
    else report.imported('cron', label);
  }
  if (added === 0 || dryRun) return;
  await mkdir(cronDir, { recursive: true, mode: 0o700 });
  await backupFile(target);
  await writeFileAtomic(
    target,
    `${JSON.stringify({ ...existing, version: JOBS_VERSION, jobs }, null, 2)}\n`,
    { mode: 0o600 },
  );
}
