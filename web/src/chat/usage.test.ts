import { describe, expect, it } from 'vitest';
import { dayOf, formatCost, UsageTally } from './usage.js';

const at = (y: number, m: number, d: number, h = 12) => new Date(y, m - 1, d, h).getTime();
const turn = (ts: number, input: number, output: number, cost?: number) => ({
  role: 'assistant',
  ts,
  usage: { input, output, cacheRead: 2, cacheWrite: 0 },
  ...(cost === undefined ? {} : { cost: { total: cost } }),
});

describe('UsageTally', () => {
  it('sums model turns per local day and per session, inside the window only', () => {
    const tally = new UsageTally(at(2026, 3, 1, 0));
    const oldest = tally.addPage('agent:main:main', 'main', [
      { role: 'user', ts: at(2026, 2, 28), content: 'old' },
      turn(at(2026, 2, 28), 100, 10, 1),
      { role: 'user', ts: at(2026, 3, 1), content: 'hi' },
      turn(at(2026, 3, 1, 9), 10, 5, 0.0001),
      { role: 'tool', ts: at(2026, 3, 1, 9), content: 'x' },
      turn(at(2026, 3, 1, 10), 20, 5, 0.0002),
      { role: 'assistant', ts: at(2026, 3, 1, 11), usage: { input: 0, output: 0 } },
    ]);
    expect(oldest).toBe(at(2026, 2, 28));
    tally.addPage('agent:main:other', 'main', [turn(at(2026, 3, 2), 1, 1)]);
    expect(tally.days).toEqual([
      { day: '2026-03-02', turns: 1, input: 3, output: 1, cost: 0 },
      { day: '2026-03-01', turns: 2, input: 34, output: 10, cost: expect.closeTo(0.0003, 10) },
    ]);
    expect(tally.sessions.map((s) => [s.key, s.turns])).toEqual([
      ['agent:main:main', 2],
      ['agent:main:other', 1],
    ]);
    expect(tally.total).toMatchObject({ turns: 3, input: 37, output: 11 });
    expect(tally.messages).toBe(8);
  });

  it('formats days and costs', () => {
    expect(dayOf(at(2026, 1, 5, 23))).toBe('2026-01-05');
    expect(formatCost(0)).toBe('$0');
    expect(formatCost(0.000116)).toBe('$0.00012');
    expect(formatCost(0.43)).toBe('$0.43');
    expect(formatCost(12.5)).toBe('$12.50');
    expect(formatCost(1e-7)).toBe('$0.0000001');
  });
});
