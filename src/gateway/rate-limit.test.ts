import { describe, expect, it } from 'vitest';
import { FailureLimiter } from './rate-limit.js';

function fakeClock(start = 1_000_000) {
  let t = start;
  return { now: () => t, monotonic: () => t, advance: (ms: number) => (t += ms) };
}
const policy = { maxFailures: 10, windowMs: 60_000, lockoutMs: 300_000 };

describe('FailureLimiter', () => {
  it('locks a key on the 10th failure inside the window for 5 minutes, others unaffected', () => {
    const clock = fakeClock();
    const limiter = new FailureLimiter(policy, clock);
    for (let i = 0; i < 9; i++) expect(limiter.fail('ip:1')).toBe(0);
    expect(limiter.retryAfter('ip:1')).toBe(0);
    expect(limiter.fail('ip:1')).toBe(300_000);
    expect(limiter.retryAfter('ip:2')).toBe(0);
    clock.advance(299_999);
    expect(limiter.retryAfter('ip:1')).toBe(1);
    clock.advance(1);
    expect(limiter.retryAfter('ip:1')).toBe(0);
  });

  it('forgets failures older than the window', () => {
    const clock = fakeClock();
    const limiter = new FailureLimiter(policy, clock);
    for (let i = 0; i < 9; i++) limiter.fail('k');
    clock.advance(60_001);
    expect(limiter.fail('k')).toBe(0);
  });

  it('a success clears failures but not an active lockout', () => {
    const clock = fakeClock();
    const limiter = new FailureLimiter(policy, clock);
    for (let i = 0; i < 9; i++) limiter.fail('a');
    limiter.succeed('a');
    expect(limiter.fail('a')).toBe(0);
    for (let i = 0; i < 10; i++) limiter.fail('b');
    limiter.succeed('b');
    expect(limiter.retryAfter('b')).toBeGreaterThan(0);
  });

  it('stays bounded under a flood of distinct keys', () => {
    const limiter = new FailureLimiter(policy, fakeClock(), 1000);
    for (let i = 0; i < 50_000; i++) limiter.fail(`ip:${i}`);
    expect(limiter.size).toBeLessThanOrEqual(1000);
  });
});
