import type {
  CronDelivery,
  CronJob,
  CronJobInput,
  CronJobPatch,
  CronPayload,
  CronSchedule,
} from '../../protocol/index.js';
import { compileCron, parseAt, parseEvery } from '../../scheduler/index.js';
import { errorMessage } from '../../shared/index.js';
import { usageError } from '../context.js';

/** The job flags of `carapace cron add` and `carapace cron edit`. */
export interface CronJobFlags {
  name?: string;
  description?: string;
  every?: string;
  cron?: string;
  tz?: string;
  at?: string;
  message?: string;
  systemEvent?: string;
  agent?: string;
  session?: string;
  wake?: string;
  /** `channel:to`; `false` from `--no-deliver` (edit: stop announcing). */
  deliver?: string | false;
  account?: string;
  bestEffort?: boolean;
  model?: string;
  timeout?: number;
  disable?: boolean;
  enable?: boolean;
  deleteAfterRun?: boolean;
  keepAfterRun?: boolean;
}

const SCHEDULE_HELP =
  "give one schedule: --every 30m, --cron '0 9 * * 1-5' [--tz Europe/Berlin] or --at 2026-12-01T09:00 [--tz Europe/Berlin]";

/** A usage error (exit 2) from a parser's error, keeping its fix. */
function bad(flag: string, err: unknown): never {
  throw usageError(`${flag}: ${errorMessage(err)}`);
}

/** The schedule the flags describe, or undefined when they name none. Throws usage errors that say how to fix. */
export function scheduleFromFlags(f: CronJobFlags, nowMs = Date.now()): CronSchedule | undefined {
  const given = [f.every !== undefined, f.cron !== undefined, f.at !== undefined].filter(Boolean).length;
  if (given > 1) throw usageError(`more than one schedule: ${SCHEDULE_HELP}`);
  if (f.tz !== undefined && f.cron === undefined && f.at === undefined) {
    throw usageError('--tz goes with --cron or --at (an --every interval has no time zone)');
  }
  if (f.every !== undefined) {
    let everyMs: number;
    try {
      everyMs = parseEvery(f.every);
    } catch (err) {
      bad('--every', err);
    }
    if (everyMs < 1000)
      throw usageError(`--every ${f.every} is too short: use at least 1s, e.g. '30s' or '5m'`);
    return { kind: 'every', everyMs };
  }
  if (f.cron !== undefined) {
    try {
      compileCron(f.cron, f.tz);
    } catch (err) {
      bad('--cron', err);
    }
    return { kind: 'cron', expr: f.cron.trim(), ...(f.tz ? { tz: f.tz } : {}) };
  }
  if (f.at !== undefined) {
    let ms: number;
    try {
      ms = parseAt(f.at, f.tz, nowMs);
    } catch (err) {
      bad('--at', err);
    }
    return { kind: 'at', at: new Date(ms).toISOString() };
  }
  return undefined;
}

/** `telegram:12345` → `{channel, to}` (the recipient may contain more colons). */
export function parseDeliver(text: string): { channel: string; to: string } {
  const i = text.indexOf(':');
  const channel = i > 0 ? text.slice(0, i).trim().toLowerCase() : '';
  const to = i > 0 ? text.slice(i + 1).trim() : '';
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(channel) || !to) {
    throw usageError(`--deliver '${text}' is not <channel>:<to>, e.g. telegram:123456789`);
  }
  return { channel, to };
}

function payloadKindFromFlags(f: CronJobFlags): 'systemEvent' | 'agentTurn' | undefined {
  if (f.message !== undefined && f.systemEvent !== undefined) {
    throw usageError(
      '--message and --system-event exclude each other: --message runs an isolated agent turn, --system-event puts text into the main session',
    );
  }
  if (f.session !== undefined && f.session !== 'main' && f.session !== 'isolated') {
    throw usageError(`--session '${f.session}' is not 'main' or 'isolated'`);
  }
  if (f.session === 'main' && f.message !== undefined) {
    throw usageError(
      '--session main takes --system-event <text>; --message runs in an isolated session (--session isolated)',
    );
  }
  if (f.session === 'isolated' && f.systemEvent !== undefined) {
    throw usageError('--session isolated takes --message <text>; --system-event goes to the main session');
  }
  if (f.message !== undefined) return 'agentTurn';
  if (f.systemEvent !== undefined) return 'systemEvent';
  return undefined;
}

function checkWake(f: CronJobFlags): void {
  if (f.wake !== undefined && f.wake !== 'now' && f.wake !== 'next-heartbeat') {
    throw usageError(`--wake '${f.wake}' is not 'now' or 'next-heartbeat'`);
  }
}

function deliveryFromFlags(f: CronJobFlags, old?: CronDelivery): CronDelivery | undefined {
  if (typeof f.deliver !== 'string') {
    if (!old || (f.account === undefined && f.bestEffort === undefined)) return undefined;
    return {
      ...old,
      ...(f.account ? { accountId: f.account } : {}),
      ...(f.bestEffort ? { bestEffort: true } : {}),
    };
  }
  return {
    ...parseDeliver(f.deliver),
    ...(f.account ? { accountId: f.account } : {}),
    ...(f.bestEffort ? { bestEffort: true } : {}),
  };
}

function agentTurnOnly(f: CronJobFlags, kind: CronPayload['kind'] | undefined): void {
  if (kind !== 'systemEvent') return;
  const extra = [
    typeof f.deliver === 'string' && '--deliver',
    f.model !== undefined && '--model',
    f.timeout !== undefined && '--timeout',
    f.account !== undefined && '--account',
    f.bestEffort && '--best-effort',
  ].filter(Boolean);
  if (extra.length > 0) {
    throw usageError(`${extra.join(', ')} only go with --message (an isolated run has a result to deliver)`);
  }
}

/** `cron.add` params from the flags of `carapace cron add`. */
export function jobInputFromFlags(f: CronJobFlags, nowMs = Date.now()): CronJobInput {
  checkWake(f);
  const schedule = scheduleFromFlags(f, nowMs);
  if (!schedule) throw usageError(`no schedule: ${SCHEDULE_HELP}`);
  const kind = payloadKindFromFlags(f);
  if (!kind) {
    throw usageError(
      'say what the job does: --message <text> (an isolated agent turn) or --system-event <text> (a note for the main session)',
    );
  }
  agentTurnOnly(f, kind);
  if (f.enable && f.disable) throw usageError('--enable and --disable exclude each other');
  const text = (kind === 'agentTurn' ? f.message : f.systemEvent) ?? '';
  const payload: CronPayload =
    kind === 'agentTurn'
      ? {
          kind,
          message: text,
          ...(f.model ? { model: f.model } : {}),
          ...(f.timeout ? { timeoutSeconds: f.timeout } : {}),
        }
      : { kind, text };
  const delivery = deliveryFromFlags(f);
  const name = f.name ?? (text.replace(/\s+/g, ' ').trim().slice(0, 40) || 'job');
  return {
    name,
    schedule,
    payload,
    ...(f.description !== undefined ? { description: f.description } : {}),
    ...(f.agent ? { agentId: f.agent } : {}),
    ...(f.wake ? { wakeMode: f.wake as 'now' | 'next-heartbeat' } : {}),
    ...(delivery ? { delivery } : {}),
    ...(f.disable ? { enabled: false } : {}),
    ...(f.deleteAfterRun ? { deleteAfterRun: true } : {}),
  };
}

/** A `cron.update` patch from the flags of `carapace cron edit`, on top of the job as it is. */
export function jobPatchFromFlags(job: CronJob, f: CronJobFlags, nowMs = Date.now()): CronJobPatch {
  checkWake(f);
  if (f.enable && f.disable) throw usageError('--enable and --disable exclude each other');
  if (f.deleteAfterRun && f.keepAfterRun) {
    throw usageError('--delete-after-run and --keep-after-run exclude each other');
  }
  const patch: CronJobPatch = {};
  const schedule = scheduleFromFlags(f, nowMs);
  if (schedule) patch.schedule = schedule;
  const kind = payloadKindFromFlags(f) ?? job.payload.kind;
  agentTurnOnly(f, kind);
  if (
    f.message !== undefined ||
    f.systemEvent !== undefined ||
    f.model !== undefined ||
    f.timeout !== undefined
  ) {
    const old = job.payload;
    if (kind === 'systemEvent') {
      patch.payload = { kind, text: f.systemEvent ?? (old.kind === 'systemEvent' ? old.text : '') };
    } else {
      const prev = old.kind === 'agentTurn' ? old : undefined;
      const model = f.model ?? prev?.model;
      const timeout = f.timeout ?? prev?.timeoutSeconds;
      patch.payload = {
        kind,
        message: f.message ?? prev?.message ?? '',
        ...(model ? { model } : {}),
        ...(timeout ? { timeoutSeconds: timeout } : {}),
      };
    }
    if (kind !== job.payload.kind && job.delivery && kind === 'systemEvent') patch.delivery = null;
  }
  if (
    f.session !== undefined &&
    f.message === undefined &&
    f.systemEvent === undefined &&
    f.session !== job.sessionTarget
  ) {
    throw usageError(
      `--session ${f.session} needs a new payload: give ${f.session === 'main' ? '--system-event <text>' : '--message <text>'}`,
    );
  }
  if (f.deliver === false) patch.delivery = null;
  else {
    const delivery = deliveryFromFlags(f, job.delivery);
    if (delivery) patch.delivery = delivery;
  }
  if (f.name !== undefined) patch.name = f.name;
  if (f.description !== undefined) patch.description = f.description;
  if (f.agent !== undefined) patch.agentId = f.agent;
  if (f.wake !== undefined) patch.wakeMode = f.wake as 'now' | 'next-heartbeat';
  if (f.enable) patch.enabled = true;
  if (f.disable) patch.enabled = false;
  if (f.deleteAfterRun) patch.deleteAfterRun = true;
  if (f.keepAfterRun) patch.deleteAfterRun = false;
  if (Object.keys(patch).length === 0) {
    throw usageError(
      'nothing to change: give at least one flag, e.g. --every 1h, --message <text> or --disable',
    );
  }
  return patch;
}
