/** How reconnects are spaced: exponential from `initialMs`, capped at `maxMs`, with ± `jitter` spread. */
export interface BackoffPolicy {
  initialMs: number;
  factor: number;
  maxMs: number;
  /** Fraction of the delay chosen at random either way (0.2: 80 %–120 %). */
  jitter: number;
  /** A connection that stayed open this long resets the sequence. */
  stableMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  initialMs: 2000,
  factor: 2,
  maxMs: 5 * 60_000,
  jitter: 0.2,
  stableMs: 60_000,
};

/** The wait before reconnect number `attempt` (0-based); `random` returns [0, 1). Never above `maxMs`. */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, attempt));
  const spread = 1 - policy.jitter + 2 * policy.jitter * random();
  return Math.max(0, Math.min(policy.maxMs, Math.round(base * spread)));
}
