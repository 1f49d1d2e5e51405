import { type Command, Option } from 'commander';
import type { CliContext } from './context.js';
import { connectionOptions, type Done, parsePositiveInt, type RegisterCommands } from './options.js';

/** The schedule, payload and delivery flags `cron add` and `cron edit` share. */
function jobOptions(cmd: Command): Command {
  return cmd
    .option('--name <name>', 'a short label (default: the start of the message)')
    .option('--description <text>', 'a longer note about the job')
    .option('--every <duration>', "run every interval, e.g. '30m', '2h', '1d', '1h30m'")
    .option('--cron <expr>', "a 5- or 6-field cron expression, e.g. '0 9 * * 1-5'")
    .option(
      '--tz <zone>',
      "IANA time zone for --cron or --at, e.g. 'Europe/Berlin' (default: this machine's)",
    )
    .option('--at <time>', "run once: '2026-12-01T09:00' (in --tz), '2026-12-01T09:00Z' or '+20m'")
    .option('-m, --message <text>', 'run an isolated agent turn with this message (session cron:<id>)')
    .option('--system-event <text>', "put this text into the agent's main session")
    .option('--agent <id>', 'the agent (default: the default agent)')
    .addOption(new Option('--session <target>', 'where it runs').choices(['main', 'isolated']))
    .addOption(
      new Option(
        '--wake <mode>',
        'a main-session event wakes the agent now or at its next heartbeat',
      ).choices(['now', 'next-heartbeat']),
    )
    .option('--deliver <channel:to>', 'also announce the result of an isolated run, e.g. telegram:123456789')
    .option('--account <id>', 'the channel account to deliver from')
    .option('--best-effort', 'a failed delivery does not fail the run')
    .option('--model <ref>', 'a model for the isolated run, e.g. openai/gpt-4o-mini')
    .option('--timeout <seconds>', 'stop the isolated run after this many seconds', parsePositiveInt)
    .option('--disable', 'store the job without running it')
    .option('--delete-after-run', 'remove a one-shot (--at) job after it ran successfully')
    .option('--json', 'print the job as JSON');
}

/** `carapace cron list|status|add|edit|rm|run|runs`: scheduled jobs on the running gateway (cron.* methods). */
export const registerCronCommands: RegisterCommands = (program: Command, ctx: CliContext, done: Done) => {
  const cron = program
    .command('cron')
    .description('scheduled jobs: list, add, edit, remove, run and their run logs');
  const load = () => import('./commands/cron.js');
  connectionOptions(
    cron
      .command('list')
      .description('jobs by next run: id, name, schedule, next and last run, what they do')
      .option('--all', 'include disabled jobs')
      .option('--agent <id>', 'only jobs of this agent')
      .option('--json', 'print JSON'),
  ).action(async (opts) => done(await (await load()).cronList(ctx, opts)));
  connectionOptions(
    cron
      .command('status')
      .description('is the scheduler on, how many jobs, what runs now, the next run')
      .option('--json', 'print JSON'),
  ).action(async (opts) => done(await (await load()).cronStatus(ctx, opts)));
  connectionOptions(
    jobOptions(
      cron
        .command('add')
        .description(
          'add a job: one schedule (--every, --cron or --at) and one payload (--message or --system-event)',
        ),
    ),
  ).action(async (opts) => done(await (await load()).cronAdd(ctx, opts)));
  connectionOptions(
    jobOptions(
      cron
        .command('edit')
        .description('change a job: only the flags given change')
        .argument('<job>', 'job id, a unique id prefix, or its name'),
    )
      .option('--enable', 'run the job again (after --disable or a one-shot run)')
      .option('--no-deliver', 'stop announcing results')
      .option('--keep-after-run', 'keep a one-shot job after it ran'),
  ).action(async (ref, opts) => done(await (await load()).cronEdit(ctx, ref, opts)));
  connectionOptions(
    cron
      .command('rm')
      .alias('remove')
      .description('remove a job and its run log')
      .argument('<job>', 'job id, a unique id prefix, or its name')
      .option('--json', 'print JSON'),
  ).action(async (ref, opts) => done(await (await load()).cronRemove(ctx, ref, opts)));
  connectionOptions(
    cron
      .command('run')
      .description('run a job now, beside its schedule')
      .argument('<job>', 'job id, a unique id prefix, or its name')
      .option('--due', 'only if it is due')
      .option('--json', 'print JSON'),
  ).action(async (ref, opts) => done(await (await load()).cronRun(ctx, ref, opts)));
  connectionOptions(
    cron
      .command('runs')
      .description("a job's run log, newest first (status, trigger, duration, error or summary)")
      .argument('<job>', 'job id, a unique id prefix, or its name')
      .option('--limit <n>', 'entries to show (default 20)', parsePositiveInt)
      .option('--json', 'print JSON'),
  ).action(async (ref, opts) => done(await (await load()).cronRuns(ctx, ref, opts)));
};
