import { CarapaceError, errorMessage } from '../shared/index.js';
import type { DropReason, Entry, Lane, LaneOutcome, QueueSettings } from './lane-types.js';

/** The outcome of a message that will not run, with a stable `MESSAGE_<REASON>` code. */
export function droppedOutcome<R>(reason: DropReason, message: string): LaneOutcome<R> {
  return {
    status: 'dropped',
    reason,
    error: new CarapaceError(`MESSAGE_${reason.toUpperCase().replace('-', '_')}`, message),
  };
}

/** Settle every ticket of a waiting entry as dropped. */
export function dropEntry<M, R>(entry: Entry<M, R>, reason: DropReason, message: string): void {
  const outcome = droppedOutcome<R>(reason, message);
  for (const ticket of entry.tickets) ticket.settle(outcome);
}

/** Drop everything waiting in a lane; returns how many messages (tickets) were dropped. */
export function dropAll<M, R>(lane: Lane<M, R>, reason: DropReason, message: string): number {
  const entries = lane.pending;
  lane.pending = [];
  for (const entry of entries) dropEntry(entry, reason, message);
  return entries.reduce((n, e) => n + e.tickets.length, 0);
}

/**
 * Queue a new entry in its lane under the lane cap and its overflow policy: `new` refuses the newcomer,
 * `old` drops the oldest waiting entry, `summarize` folds the newcomer into the last waiting entry.
 * Returns why the newcomer was refused, or undefined when it is queued (or folded).
 */
export function queueEntry<M, R>(
  lane: Lane<M, R>,
  entry: Entry<M, R>,
  queue: Pick<QueueSettings, 'cap' | 'drop'>,
  fold: ((messages: M[]) => M) | undefined,
): { reason: DropReason; text: string } | undefined {
  if (lane.pending.length < queue.cap) {
    lane.pending.push(entry);
    return undefined;
  }
  if (queue.drop === 'new')
    return { reason: 'lane-full', text: `session ${lane.key} already has ${queue.cap} waiting messages` };
  if (queue.drop === 'old') {
    dropEntry(
      lane.pending.shift()!,
      'evicted',
      'dropped: the session queue was full and this was the oldest',
    );
    lane.pending.push(entry);
    return undefined;
  }
  const tail = lane.pending[lane.pending.length - 1]!;
  try {
    tail.message = fold!([tail.message, entry.message]);
  } catch (err) {
    return {
      reason: 'lane-full',
      text: `the session queue is full and folding failed: ${errorMessage(err)}`,
    };
  }
  tail.tickets.push(...entry.tickets);
  return undefined;
}
