/** The time port. Production uses `systemClock`; tests pass their own. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** A monotonic reading in milliseconds, for durations. */
  monotonic(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};
