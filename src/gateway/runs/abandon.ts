import type { LaneOutcome, MessageEntry } from '../../sessions/index.js';
import { CarapaceError, type Clock, errorMessage } from '../../shared/index.js';
import type { Logger } from '../logger.js';
import type { GatewaySessions } from '../sessions.js';
import { type Broadcast, RunEvents } from './run-events.js';
import type { RunTracker } from './run-tracker.js';
import type { TurnRequest, TurnResult } from './types.js';

/** A recovered message whose turn already started this often (and crashed) is answered with an error. */
export const MAX_RECOVERY_ATTEMPTS = 3;
/** How the error reply to a message given up begins (also how a replay finds it already recorded). */
const ABANDONED = 'Sorry, this message could not be answered:';

/** What giving up on a message needs of the run service's dependencies. */
export interface AbandonDeps {
  sessions: GatewaySessions;
  logger: Logger;
  clock: Clock;
  broadcast: Broadcast;
  beforeAnswer?(req: TurnRequest, outcome: LaneOutcome<TurnResult>): Promise<void>;
  onRecoveredFinal(req: TurnRequest, outcome: LaneOutcome<TurnResult>): void;
}

/**
 * A poison message: record an explicit error reply instead of running it again, and tell its sender
 * (a channel message's reply goes to the outbound queue through `beforeAnswer`).
 */
export async function abandon(
  deps: AbandonDeps,
  runs: RunTracker,
  req: TurnRequest,
  attempts: number,
  recorded: boolean,
): Promise<void> {
  const message = `${ABANDONED} the assistant stopped ${attempts} times while working on it, so it was set aside.`;
  deps.logger.error(
    { runId: req.runId, attempts },
    'giving up on a message that crashed its turn repeatedly',
  );
  if (!recorded) await recordApology(deps, req, message);
  new RunEvents(req.runId, req.sessionKey, req.agentId, deps.broadcast).end({
    stopReason: 'error',
    text: '',
    usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
    error: { kind: 'internal', message },
  });
  const outcome: LaneOutcome<TurnResult> = {
    status: 'error',
    runId: req.runId,
    error: new CarapaceError('MESSAGE_ABANDONED', message, { details: { attempts } }),
  };
  await deps
    .beforeAnswer?.(req, outcome)
    .catch((err) =>
      deps.logger.error({ err: errorMessage(err), runId: req.runId }, 'abandon reply not queued'),
    );
  runs.update(req.runId, {
    sessionKey: req.sessionKey,
    status: 'error',
    endedAt: deps.clock.now(),
    error: message,
  });
  if (req.method === 'agent') deps.onRecoveredFinal(req, outcome);
}

/** What the transcript already holds for a recovered message: its final reply, or an apology for it. */
export async function recordedFor(
  deps: Pick<AbandonDeps, 'sessions'>,
  req: TurnRequest,
): Promise<'reply' | 'apology' | undefined> {
  let found: 'apology' | undefined;
  try {
    const { entries } = await deps.sessions.store(req.agentId).loadTranscript(req.sessionKey);
    for (const entry of entries) {
      const e = entry as MessageEntry & { errorMessage?: unknown };
      if (e.type !== 'message' || e.role !== 'assistant' || e.runId !== req.runId || e.toolCalls?.length)
        continue;
      if (e.stopReason === undefined || e.stopReason === 'stop' || e.stopReason === 'length') return 'reply';
      if (typeof e.errorMessage === 'string' && e.errorMessage.startsWith(ABANDONED)) found = 'apology';
    }
  } catch {
    // No session (its turn never got as far as recording the message): nothing recorded.
  }
  return found;
}

/** The apology in the transcript, where its sender's history shows it. */
async function recordApology(deps: AbandonDeps, req: TurnRequest, message: string): Promise<void> {
  try {
    const store = deps.sessions.store(req.agentId);
    await store.ensureSession(req.sessionKey);
    const fields = {
      role: 'assistant' as const,
      content: '',
      stopReason: 'error',
      runId: req.runId,
      errorMessage: message,
    };
    await store.appendMessage(req.sessionKey, fields, { durable: true });
  } catch (err) {
    deps.logger.error({ err: errorMessage(err), runId: req.runId }, 'could not record the abandoned message');
  }
}
