import { SILENT_REPLY } from '../agent/index.js';
import type { CronJob, CronRunStatus } from '../protocol/index.js';
import { formatSessionKey } from '../routing/index.js';
import { errorMessage } from '../shared/index.js';
import type { Heartbeats } from './heartbeat.js';
import type { SchedulerPorts } from './ports.js';

/** What a run produced, for the run log and the job state. */
export interface ExecOutcome {
  status: CronRunStatus;
  error?: string;
  summary?: string;
}

export interface ExecContext {
  ports: SchedulerPorts;
  heartbeats: Heartbeats;
  agentId: string;
  signal: AbortSignal;
}

const SUMMARY_CHARS = 500;

/** Queue text in the agent's main session and wake it now, or leave it for the next heartbeat. */
async function postToMain(job: CronJob, ctx: ExecContext, text: string): Promise<void> {
  const main = formatSessionKey({ kind: 'main', agentId: ctx.agentId });
  await ctx.ports.systemEvent(ctx.agentId, main, text);
  ctx.heartbeats.noteEvent(ctx.agentId);
  // Without a periodic heartbeat "next heartbeat" would never come, so such an agent is woken now.
  if (job.wakeMode === 'now' || !ctx.heartbeats.has(ctx.agentId)) {
    ctx.heartbeats.requestNow(ctx.agentId, `cron:${job.id}`);
  }
}

/**
 * Run a job's payload through the ports. `systemEvent` goes into the main session; `agentTurn` runs in
 * the isolated session `cron:<jobId>`, then its reply is posted to the main session as a system note and,
 * with `delivery`, announced on a channel. Never throws: failures are outcomes.
 */
export async function executeJob(job: CronJob, ctx: ExecContext): Promise<ExecOutcome> {
  try {
    if (job.payload.kind === 'systemEvent') {
      await postToMain(job, ctx, job.payload.text);
      return { status: 'ok', summary: job.payload.text.slice(0, SUMMARY_CHARS) };
    }
    const { message, model, timeoutSeconds } = job.payload;
    const req: Parameters<SchedulerPorts['runTurn']>[0] = {
      agentId: ctx.agentId,
      sessionKey: formatSessionKey({ kind: 'cron', jobId: job.id }),
      message,
      signal: ctx.signal,
    };
    if (model !== undefined) req.model = model;
    if (timeoutSeconds !== undefined) req.timeoutMs = timeoutSeconds * 1000;
    const res = await ctx.ports.runTurn(req);
    if (ctx.signal.aborted) return { status: 'interrupted', error: 'stopped during the run' };
    const text = res.text.trim();
    const silent = text === '' || text === SILENT_REPLY;
    const outcome: ExecOutcome = { status: res.status };
    if (res.status !== 'ok') outcome.error = res.error ?? `the turn ended with ${res.status}`;
    if (!silent) outcome.summary = text.slice(0, SUMMARY_CHARS);
    if (res.status !== 'ok') {
      await postToMain(job, ctx, `[cron] ${job.name} failed: ${outcome.error}`);
    } else if (!silent) {
      await postToMain(job, ctx, `[cron] ${job.name}: ${text}`);
      if (job.delivery) await deliver(job, ctx, text, outcome);
    }
    return outcome;
  } catch (err) {
    if (ctx.signal.aborted) return { status: 'interrupted', error: 'stopped during the run' };
    return { status: 'error', error: errorMessage(err) };
  }
}

async function deliver(job: CronJob, ctx: ExecContext, text: string, outcome: ExecOutcome): Promise<void> {
  const d = job.delivery;
  if (!d) return;
  try {
    await ctx.ports.deliver({
      channel: d.channel,
      to: d.to,
      text,
      ...(d.accountId === undefined ? {} : { accountId: d.accountId }),
    });
  } catch (err) {
    const msg = `delivery to ${d.channel}:${d.to} failed: ${errorMessage(err)}`;
    if (d.bestEffort) {
      outcome.summary = `${outcome.summary ?? ''} (${msg})`.trim();
    } else {
      outcome.status = 'error';
      outcome.error = msg;
    }
  }
}
