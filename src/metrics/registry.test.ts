import { describe, expect, it } from 'vitest';
import { GatewayMetrics } from './gateway-metrics.js';
import { MetricsRegistry } from './registry.js';

describe('MetricsRegistry', () => {
  it('renders counters, gauges and histograms in the text format', () => {
    const r = new MetricsRegistry();
    const c = r.counter({ name: 'x_total', help: 'X things.\nSecond line', labelNames: ['kind'] });
    const g = r.gauge({ name: 'depth', help: 'Depth.' });
    const h = r.histogram({ name: 'lat_seconds', help: 'Latency.', buckets: [0.1, 1] });
    c.inc({ kind: 'a' });
    c.inc({ kind: 'a' }, 2);
    c.inc({ kind: 'b"\\\n' });
    g.set(undefined, 4);
    g.dec();
    h.observe(undefined, 0.05);
    h.observe(undefined, 0.5);
    h.observe(undefined, 5);
    expect(r.render()).toBe(
      [
        '# HELP x_total X things.\\nSecond line',
        '# TYPE x_total counter',
        'x_total{kind="a"} 3',
        'x_total{kind="b\\"\\\\\\n"} 1',
        '# HELP depth Depth.',
        '# TYPE depth gauge',
        'depth 3',
        '# HELP lat_seconds Latency.',
        '# TYPE lat_seconds histogram',
        'lat_seconds_bucket{le="0.1"} 1',
        'lat_seconds_bucket{le="1"} 2',
        'lat_seconds_bucket{le="+Inf"} 3',
        'lat_seconds_sum 5.55',
        'lat_seconds_count 3',
        '',
      ].join('\n'),
    );
  });

  it('reads collectors at render time and skips one that throws', () => {
    const r = new MetricsRegistry();
    let n = 1;
    r.gauge({
      name: 'live',
      help: 'Live.',
      labelNames: ['s'],
      collect: () => [{ labels: { s: 'q' }, value: n }],
    });
    r.gauge({
      name: 'broken',
      help: 'Broken.',
      collect: () => {
        throw new Error('source stopped');
      },
    });
    expect(r.render()).toContain('live{s="q"} 1');
    n = 7;
    const text = r.render();
    expect(text).toContain('live{s="q"} 7');
    expect(text).not.toContain('broken');
  });

  it('refuses bad names, unknown or missing labels, a second registration and a negative increment', () => {
    const r = new MetricsRegistry();
    expect(() => r.counter({ name: 'bad-name', help: '' })).toThrow(/not valid/);
    expect(() => r.counter({ name: 'ok', help: '', labelNames: ['le'] })).toThrow(/label name/);
    const c = r.counter({ name: 'c_total', help: '', labelNames: ['a'] });
    expect(() => c.inc({ b: 'x' } as never)).toThrow(/no label 'b'/);
    expect(() => c.inc()).toThrow(/needs label 'a'/);
    expect(() => c.inc({ a: 'x' }, -1)).toThrow(/cannot go down/);
    expect(() => r.gauge({ name: 'c_total', help: '' })).toThrow(/registered twice/);
    expect(() => r.histogram({ name: 'h', help: '', buckets: [1, 1] })).toThrow(/ascending/);
  });
});

describe('GatewayMetrics.meterModel', () => {
  it('times each call and counts tokens and cost under the model that answered', async () => {
    let t = 0;
    const m = new GatewayMetrics(() => t);
    const inner = {
      knownSecrets: () => ['s'],
      async *stream(_req: { model: string }) {
        t += 250;
        yield { type: 'start', provider: 'p', model: 'm2' };
        yield { type: 'usage', usage: { input: 10, output: 4, cacheRead: 2 }, cost: { total: 0.5 } };
        yield { type: 'finish' };
      },
    };
    const metered = m.meterModel(inner);
    expect(metered.knownSecrets()).toEqual(['s']);
    for await (const _ of metered.stream({ model: 'p/m1' })) void _;
    expect(m.tokens.get({ provider: 'p', model: 'm2', direction: 'input' })).toBe(10);
    expect(m.tokens.get({ provider: 'p', model: 'm2', direction: 'cache_read' })).toBe(2);
    expect(m.cost.get({ provider: 'p', model: 'm2' })).toBe(0.5);
    expect(m.modelCalls.get({ provider: 'p', model: 'm2', outcome: 'ok' })).toBe(1);
    expect(m.modelDuration.get({ provider: 'p', model: 'm2' })).toEqual({ count: 1, sum: 0.25 });
  });

  it('labels a call that failed before it started with the requested ref and the error kind', async () => {
    const m = new GatewayMetrics();
    const inner = {
      async *stream(_req: { model: string }) {
        yield { type: 'error', error: { kind: 'rate_limit' } };
      },
    };
    for await (const _ of m.meterModel(inner).stream({ model: 'fake/m' })) void _;
    expect(m.modelCalls.get({ provider: 'fake', model: 'm', outcome: 'rate_limit' })).toBe(1);
  });

  it('counts runs finished and failed by method and status', () => {
    const m = new GatewayMetrics();
    m.runAccepted('chat.send');
    m.runStarted('chat.send');
    m.runFinished('chat.send', 'ok', 0.2);
    m.runFinished('channel', 'dropped', 0.1);
    expect(m.runsFinished.get({ method: 'chat.send', status: 'ok' })).toBe(1);
    expect(m.runsFailed.get({ method: 'chat.send', status: 'ok' })).toBe(0);
    expect(m.runsFailed.get({ method: 'channel', status: 'dropped' })).toBe(1);
    expect(m.registry.render()).toMatch(/carapace_run_duration_seconds_count\{method="chat.send"\} 1/);
  });
});
