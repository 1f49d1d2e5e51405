import type { ModelCostConfig } from '../config/index.js';
import type { Cost, Usage } from './types.js';

/** Zero tokens. */
export function emptyUsage(): Usage {
  return { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
}

/** Zero dollars. */
export function emptyCost(): Cost {
  return { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 };
}

/** Sum of two usages. */
export function addUsage(a: Usage, b: Usage): Usage {
  return {
    input: a.input + b.input,
    output: a.output + b.output,
    cacheRead: a.cacheRead + b.cacheRead,
    cacheWrite: a.cacheWrite + b.cacheWrite,
  };
}

/**
 * Round a USD amount to 1e-12 (a millionth of a micro-dollar) so that sums of per-call costs compare
 * equal to the decimal figure a person computes, free of binary floating-point dust.
 */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e12) / 1e12;
}

/** Sum of two costs (rounded with roundUsd). */
export function addCost(a: Cost, b: Cost): Cost {
  return {
    input: roundUsd(a.input + b.input),
    output: roundUsd(a.output + b.output),
    cacheRead: roundUsd(a.cacheRead + b.cacheRead),
    cacheWrite: roundUsd(a.cacheWrite + b.cacheWrite),
    total: roundUsd(a.total + b.total),
  };
}

/**
 * The cost of `usage` by a price table in USD per 1M tokens. Cache prices default to the input price;
 * no price table means zero cost (local models).
 */
export function costOf(usage: Usage, price: ModelCostConfig | undefined): Cost {
  if (!price) return emptyCost();
  const per = (tokens: number, usdPerMillion: number) => roundUsd((tokens * usdPerMillion) / 1e6);
  const input = per(usage.input, price.input);
  const output = per(usage.output, price.output);
  const cacheRead = per(usage.cacheRead, price.cacheRead ?? price.input);
  const cacheWrite = per(usage.cacheWrite, price.cacheWrite ?? price.input);
  return { input, output, cacheRead, cacheWrite, total: roundUsd(input + output + cacheRead + cacheWrite) };
}
