/** How reconnect delays grow: `initialMs · factor^attempt`, capped at `maxMs`, with jitter. */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  factor: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 15_000, factor: 2 };

/**
 * The delay before reconnect attempt `attempt` (0 = first). "Equal jitter": half the capped exponential
 * delay is fixed, the other half random, so many clients restarting together spread out but none retries
 * at once in a tight loop. `random` returns [0, 1).
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const capped = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, attempt));
  const half = capped / 2;
  return Math.round(half + half * Math.min(Math.max(random(), 0), 1));
}
