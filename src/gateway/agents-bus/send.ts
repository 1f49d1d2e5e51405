import { CarapaceError, newId } from '../../shared/index.js';
import { wrapUntrusted } from '../../tools/index.js';
import { type BusCore, type Caller, settle, within } from './core.js';
import { A2A_LIMIT } from './policy.js';

/** How long `sessions_send` waits for the reply when the call does not say. */
export const DEFAULT_WAIT_SECONDS = 60;

export interface SendArgs {
  sessionKey?: string;
  agentId?: string;
  message: string;
  /** 0: do not wait. Capped by `agentToAgent.maxWaitSeconds`. */
  timeoutSeconds?: number;
}

export type SendResult =
  | { status: 'accepted'; sessionKey: string; runId: string }
  | { status: 'ok'; sessionKey: string; runId: string; reply: string }
  | { status: 'timeout' | 'aborted' | 'error'; sessionKey: string; runId: string; note: string };

function framed(caller: Caller, message: string, wait: boolean): string {
  const how = wait ? 'Your reply is returned to it.' : 'It does not wait for your reply.';
  return `[Message from session ${caller.sessionKey} (agent '${caller.agentId}') via sessions_send. ${how}]\n\n${message}`;
}

/**
 * Post a message into another session (a turn runs there) and, unless `timeoutSeconds` is 0, wait for
 * its reply. Refused when the caller may not reach the session, when the originating run has used up
 * `maxExchanges`, and when waiting could never end (the target is itself waiting on the caller).
 */
export async function sendToSession(
  core: BusCore,
  caller: Caller,
  args: SendArgs,
  signal: AbortSignal,
): Promise<SendResult> {
  const target = await core.target(caller, args);
  if (target.sessionKey === caller.sessionKey) {
    throw new CarapaceError('INVALID_PARAMS', 'a session cannot send a message to itself');
  }
  core.assertReach(caller, target);
  await core.requireSession(target);
  const lineage = core.registry.lineage(caller.runId);
  const waitSeconds = Math.min(args.timeoutSeconds ?? DEFAULT_WAIT_SECONDS, core.a2a().maxWaitSeconds);
  const wait = waitSeconds > 0;
  if (wait && lineage.waiting.includes(target.sessionKey)) {
    throw new CarapaceError(
      A2A_LIMIT,
      `session ${target.sessionKey} is waiting for this session's answer, so waiting for its reply would never end: answer in your reply, or send with timeoutSeconds 0`,
    );
  }
  core.countExchange(lineage.origin);
  const runId = `a2a:${newId()}`;
  const waiting = wait ? [...lineage.waiting, caller.sessionKey] : [];
  const { outcome } = await core.start(
    {
      runId,
      sessionKey: target.sessionKey,
      agentId: target.agentId,
      message: framed(caller, args.message, wait),
    },
    { origin: lineage.origin, waiting },
  );
  const base = { sessionKey: target.sessionKey, runId };
  if (!wait) return { status: 'accepted', ...base };
  const ended = await within(outcome, waitSeconds * 1000, signal);
  if (ended === 'timeout') {
    return {
      status: 'timeout',
      ...base,
      note: `no reply within ${waitSeconds} s; the turn goes on there (read it later with sessions_history)`,
    };
  }
  if (ended === 'aborted') return { status: 'aborted', ...base, note: 'this run was stopped while waiting' };
  const s = settle(ended);
  if (s.status === 'ok') {
    return {
      status: 'ok',
      ...base,
      reply: wrapUntrusted(s.text, { source: `session ${target.sessionKey}` }),
    };
  }
  const why = s.error ?? s.status;
  return {
    status: s.status === 'timeout' ? 'timeout' : 'error',
    ...base,
    note: `the turn there ended: ${why}`,
  };
}
