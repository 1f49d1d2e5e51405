import Type from 'typebox';
import { type AgentTool, defineTool } from '../agent/index.js';
import type { CronJob, CronJobInput, CronSchedule } from '../protocol/index.js';
import { CarapaceError } from '../shared/index.js';
import { CRON_JOB_NOT_FOUND } from './jobs.js';
import { CRON_JOB_INVALID, formatEvery, parseAt, parseEvery } from './parse.js';
import type { Scheduler } from './scheduler.js';

const CronToolSchema = Type.Object(
  {
    action: Type.Union([Type.Literal('add'), Type.Literal('list'), Type.Literal('remove')]),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'A short label (add).' })),
    text: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 10_000,
        description: 'Reminder text: appears in your main session when the job fires (add).',
      }),
    ),
    task: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 10_000,
        description:
          'Instead of text: a task run in its own session; its result is posted back to you (add).',
      }),
    ),
    at: Type.Optional(
      Type.String({ description: "Once, at a time: '2026-12-01T09:00' (in tz) or '+20m' (add)." }),
    ),
    every: Type.Optional(Type.String({ description: "Repeat every interval: '30m', '2h', '1d' (add)." })),
    cron: Type.Optional(Type.String({ description: "Cron expression, e.g. '0 9 * * 1-5' (add)." })),
    tz: Type.Optional(Type.String({ description: "IANA time zone for at/cron, e.g. 'Europe/Berlin'." })),
    jobId: Type.Optional(Type.String({ description: 'The job to remove (remove).' })),
  },
  { additionalProperties: false },
);

export interface CronToolOptions {
  /** Most jobs one agent may have. Default 50. */
  maxJobsPerAgent?: number;
  /** Shortest `every` an agent may ask for. Default 60 s. */
  minEveryMs?: number;
  now?: () => number;
}

function invalid(message: string): CarapaceError {
  return new CarapaceError(CRON_JOB_INVALID, message);
}

function scheduleOf(
  args: { at?: string; every?: string; cron?: string; tz?: string },
  o: Required<CronToolOptions>,
): CronSchedule {
  const given = [args.at, args.every, args.cron].filter((v) => v !== undefined).length;
  if (given !== 1) throw invalid("give exactly one of 'at' (once), 'every' (repeat) or 'cron' (expression)");
  if (args.at !== undefined) {
    return { kind: 'at', at: new Date(parseAt(args.at, args.tz, o.now())).toISOString() };
  }
  if (args.every !== undefined) {
    const everyMs = parseEvery(args.every);
    if (everyMs < o.minEveryMs) throw invalid(`'every' must be at least ${formatEvery(o.minEveryMs)}`);
    return { kind: 'every', everyMs };
  }
  return { kind: 'cron', expr: args.cron as string, ...(args.tz ? { tz: args.tz } : {}) };
}

function describe(job: CronJob): Record<string, unknown> {
  const what =
    job.payload.kind === 'systemEvent' ? { text: job.payload.text } : { task: job.payload.message };
  return {
    jobId: job.id,
    name: job.name,
    schedule: job.schedule,
    ...what,
    nextRunAt: job.state.nextRunAtMs === undefined ? null : new Date(job.state.nextRunAtMs).toISOString(),
  };
}

/**
 * The `cron` tool: an agent schedules reminders (text injected into its main session) or tasks (an
 * isolated run whose result comes back), lists and removes its own jobs. It never sees or touches
 * another agent's jobs.
 */
export function createCronTool(
  scheduler: Pick<Scheduler, 'add' | 'list' | 'remove'>,
  options: CronToolOptions = {},
): AgentTool<typeof CronToolSchema> {
  const o: Required<CronToolOptions> = {
    maxJobsPerAgent: options.maxJobsPerAgent ?? 50,
    minEveryMs: options.minEveryMs ?? 60_000,
    now: options.now ?? Date.now,
  };
  return defineTool({
    name: 'cron',
    description:
      "Schedule reminders and recurring tasks for yourself. action 'add' with name, text (a reminder) or task (run separately, result reported back) and one of at / every / cron; 'list' your jobs; 'remove' one by jobId.",
    parameters: CronToolSchema,
    async execute(args, ctx) {
      const own = scheduler.list({ includeDisabled: true, agentId: ctx.agentId });
      if (args.action === 'list') return { content: { jobs: own.map(describe) } };
      if (args.action === 'remove') {
        const job = own.find((j) => j.id === args.jobId);
        if (!job) {
          throw new CarapaceError(
            CRON_JOB_NOT_FOUND,
            `you have no job '${args.jobId ?? ''}': list them first`,
          );
        }
        await scheduler.remove(job.id);
        return { content: { removed: job.id } };
      }
      if (own.length >= o.maxJobsPerAgent) {
        throw invalid(`you already have ${own.length} jobs (the limit): remove one first`);
      }
      if ((args.text === undefined) === (args.task === undefined)) {
        throw invalid("give either 'text' (a reminder) or 'task' (work to run), not both or neither");
      }
      const schedule = scheduleOf(args, o);
      const input: CronJobInput = {
        agentId: ctx.agentId,
        name: args.name ?? (args.text ?? args.task ?? '').slice(0, 60),
        schedule,
        payload:
          args.text !== undefined
            ? { kind: 'systemEvent', text: `Reminder: ${args.text}` }
            : { kind: 'agentTurn', message: args.task as string },
        wakeMode: 'now',
        ...(schedule.kind === 'at' ? { deleteAfterRun: true } : {}),
      };
      return { content: describe(await scheduler.add(input)) };
    },
  });
}
