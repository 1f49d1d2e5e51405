import { describe, expect, it } from 'vitest';
import { addCost, addUsage, costOf, emptyCost, emptyUsage } from './cost.js';

describe('usage and cost', () => {
  it('prices each token kind per million, cache prices defaulting to the input price', () => {
    const usage = { input: 1234, output: 567, cacheRead: 1000, cacheWrite: 100 };
    expect(costOf(usage, { input: 3, output: 15, cacheRead: 0.3 })).toEqual({
      input: 0.003702,
      output: 0.008505,
      cacheRead: 0.0003,
      cacheWrite: 0.0003,
      total: 0.012807,
    });
    expect(costOf(usage, undefined)).toEqual(emptyCost());
  });

  it('sums exactly across calls (no floating-point dust)', () => {
    const price = { input: 0.1, output: 0.2 };
    let usage = emptyUsage();
    let cost = emptyCost();
    for (let i = 0; i < 10; i++) {
      const u = { input: 1, output: 1, cacheRead: 0, cacheWrite: 0 };
      usage = addUsage(usage, u);
      cost = addCost(cost, costOf(u, price));
    }
    expect(usage).toEqual({ input: 10, output: 10, cacheRead: 0, cacheWrite: 0 });
    expect(cost.input).toBe(0.000001);
    expect(cost.output).toBe(0.000002);
    expect(cost.total).toBe(0.000003);
  });
});
