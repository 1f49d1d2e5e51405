import pc from 'picocolors';
import type { CronJob, CronRunEntry, CronSchedule, CronStatus } from '../../protocol/index.js';
import { formatEvery } from '../../scheduler/index.js';
import { formatDuration } from '../format.js';
import { formatLocalTime, formatTable } from '../table.js';

/** `every 30m`, `cron 0 9 * * 1-5 (Europe/Berlin)`, `at 2026-12-01 09:00:00` */
export function describeSchedule(s: CronSchedule): string {
  if (s.kind === 'every') return `every ${formatEvery(s.everyMs)}`;
  if (s.kind === 'cron') return `cron ${s.expr}${s.tz ? ` (${s.tz})` : ''}`;
  return `at ${formatLocalTime(Date.parse(s.at))}`;
}

/** What a job does, in a few words. */
export function describePayload(job: CronJob): string {
  const text = job.payload.kind === 'agentTurn' ? job.payload.message : job.payload.text;
  const short = text.replace(/\s+/g, ' ').trim();
  const clipped = short.length > 40 ? `${short.slice(0, 39)}…` : short;
  const where = job.payload.kind === 'agentTurn' ? 'isolated' : 'main';
  const to = job.delivery ? ` → ${job.delivery.channel}:${job.delivery.to}` : '';
  return `${where}: ${clipped}${to}`;
}

function lastOf(job: CronJob): string {
  const s = job.state;
  if (s.lastRunAtMs === undefined) return '-';
  const status = s.lastRunStatus ?? '?';
  const shown = status === 'ok' ? status : pc.red(status);
  return `${formatLocalTime(s.lastRunAtMs)} ${shown}`;
}

/** The table of `carapace cron list`. */
export function formatJobTable(jobs: readonly CronJob[]): string {
  const rows = jobs.map((j) => [
    j.id,
    j.name,
    describeSchedule(j.schedule),
    j.enabled
      ? j.state.nextRunAtMs !== undefined
        ? formatLocalTime(j.state.nextRunAtMs)
        : '-'
      : pc.dim('disabled'),
    lastOf(j),
    describePayload(j),
  ]);
  return formatTable(
    [
      { header: 'ID' },
      { header: 'NAME' },
      { header: 'SCHEDULE' },
      { header: 'NEXT' },
      { header: 'LAST' },
      { header: 'WHAT' },
    ],
    rows,
  );
}

/** One job in full, for `add` and `edit`. */
export function formatJob(job: CronJob): string {
  const lines = [
    `${pc.bold(job.name)} ${pc.dim(job.id)}`,
    `  schedule  ${describeSchedule(job.schedule)}`,
    `  next      ${job.enabled ? (job.state.nextRunAtMs !== undefined ? formatLocalTime(job.state.nextRunAtMs) : '-') : 'disabled'}`,
    `  does      ${describePayload(job)}`,
  ];
  if (job.agentId) lines.push(`  agent     ${job.agentId}`);
  if (job.payload.kind === 'systemEvent') lines.push(`  wake      ${job.wakeMode}`);
  if (job.deleteAfterRun) lines.push('  deleted after a successful run');
  if (job.state.lastError) lines.push(`  ${pc.red('last error')} ${job.state.lastError}`);
  return `${lines.join('\n')}\n`;
}

/** The table of `carapace cron runs`. */
export function formatRuns(entries: readonly CronRunEntry[]): string {
  const rows = entries.map((e) => {
    if (e.kind === 'skipped') {
      const n = e.count ?? 1;
      return [
        formatLocalTime(e.scheduledAt),
        'skipped',
        '-',
        '-',
        `${n} missed slot${n === 1 ? '' : 's'}, caught up once`,
      ];
    }
    const status = e.status === 'ok' || e.status === 'running' ? e.status : pc.red(e.status);
    const note = e.error ?? e.summary ?? '';
    return [
      formatLocalTime(e.scheduledAt),
      status,
      e.trigger ?? '-',
      e.durationMs !== undefined ? formatDuration(e.durationMs) : '-',
      note.replace(/\s+/g, ' ').slice(0, 80),
    ];
  });
  return formatTable(
    [
      { header: 'SCHEDULED' },
      { header: 'STATUS' },
      { header: 'TRIGGER' },
      { header: 'TOOK' },
      { header: 'NOTE' },
    ],
    rows,
  );
}

/** `carapace cron status`. */
export function formatCronStatus(s: CronStatus): string {
  const next = s.nextWakeAtMs !== undefined ? formatLocalTime(s.nextWakeAtMs) : '-';
  return [
    `scheduler  ${s.enabled ? 'enabled' : pc.yellow('disabled (cron.enabled is false)')}`,
    `jobs       ${s.jobs}`,
    `running    ${s.running.length > 0 ? s.running.join(', ') : '-'} (at most ${s.maxConcurrentRuns} at once)`,
    `next run   ${next}`,
    '',
  ].join('\n');
}
