import { type Clock, systemClock } from '../shared/index.js';

/**
 * The port between the lane manager and where "this session is running" is recorded. In one gateway a
 * Map is enough. With several gateways sharing state, an implementation over an existing engine (a Redis
 * `SET key holder NX PX ttl`, a NATS KV bucket with a TTL) makes the claim cluster-wide, so one session
 * still runs one turn at a time; the queue itself stays with the gateway that owns the session.
 */
export interface LaneStore {
  /** Claim the right to run `sessionKey` for `ttlMs`. False when another holder has a live claim. */
  acquire(sessionKey: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Give a claim back. A no-op when `holder` does not hold it. */
  release(sessionKey: string, holder: string): Promise<void>;
}

/** The in-process LaneStore: a Map of claims with expiry times (expired claims are taken over). */
export function createMemoryLaneStore(clock: Clock = systemClock): LaneStore & { size(): number } {
  const claims = new Map<string, { holder: string; expiresAt: number }>();
  return {
    async acquire(sessionKey, holder, ttlMs) {
      const now = clock.monotonic();
      const claim = claims.get(sessionKey);
      if (claim && claim.holder !== holder && claim.expiresAt > now) return false;
      claims.set(sessionKey, { holder, expiresAt: now + ttlMs });
      return true;
    },
    async release(sessionKey, holder) {
      if (claims.get(sessionKey)?.holder === holder) claims.delete(sessionKey);
    },
    size: () => claims.size,
  };
}
