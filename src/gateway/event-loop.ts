import { type IntervalHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks';

export interface EventLoopHealth {
  delayP50Ms: number;
  delayP99Ms: number;
  delayMaxMs: number;
  utilization: number;
  degraded: boolean;
  reasons: string[];
}

/** Figures before the first sample. */
export const IDLE_EVENT_LOOP: EventLoopHealth = {
  delayP50Ms: 0,
  delayP99Ms: 0,
  delayMaxMs: 0,
  utilization: 0,
  degraded: false,
  reasons: [],
};

/** Samples event-loop delay and utilization for `health`. `start()`/`stop()` own the histogram. */
export class EventLoopMonitor {
  #histogram: IntervalHistogram | undefined;
  #lastElu = performance.eventLoopUtilization();

  start(): void {
    this.#histogram = monitorEventLoopDelay({ resolution: 20 });
    this.#histogram.enable();
  }

  stop(): void {
    this.#histogram?.disable();
    this.#histogram = undefined;
  }

  /** The figures since the previous call (the window resets each time). */
  sample(): EventLoopHealth {
    const h = this.#histogram;
    const ms = (ns: number) => Math.round((ns / 1e6) * 100) / 100;
    const p50 = h ? ms(h.percentile(50)) : 0;
    const p99 = h ? ms(h.percentile(99)) : 0;
    const max = h ? ms(h.max) : 0;
    const elu = performance.eventLoopUtilization(this.#lastElu);
    this.#lastElu = performance.eventLoopUtilization();
    h?.reset();
    const reasons: string[] = [];
    if (p99 > 200) reasons.push(`event-loop delay p99 ${p99} ms > 200 ms`);
    return {
      delayP50Ms: Number.isFinite(p50) ? p50 : 0,
      delayP99Ms: Number.isFinite(p99) ? p99 : 0,
      delayMaxMs: Number.isFinite(max) ? max : 0,
      utilization: Math.round(elu.utilization * 1000) / 1000,
      degraded: reasons.length > 0,
      reasons,
    };
  }
}
