import { type EventLoopHealth, EventLoopMonitor, IDLE_EVENT_LOOP } from './event-loop.js';

/** How often the event loop is sampled for `health`. */
const SAMPLE_INTERVAL_MS = 2000;

/** What the gateway's timers act on. */
export interface GatewayTimerDeps {
  /** `gateway.tickIntervalMs` now (re-read by `restartTick()`). */
  tickIntervalMs(): number;
  /** Each tick: `tick` to every client and a ping to each socket. */
  onTick(): void;
  /** The event loop turned degraded or recovered (the sample is already updated). */
  onDegradedChange(): void;
}

/** The gateway's liveness timers: the `tick` interval and the event-loop sampler behind `health`. */
export class GatewayTimers {
  readonly #monitor = new EventLoopMonitor();
  #sample: EventLoopHealth = IDLE_EVENT_LOOP;
  #degraded = false;
  #sampler: NodeJS.Timeout | undefined;
  #tick: NodeJS.Timeout | undefined;

  constructor(private readonly deps: GatewayTimerDeps) {}

  /** The latest event-loop figures (idle before the first sample). */
  get eventLoop(): EventLoopHealth {
    return this.#sample;
  }

  /** Start monitoring the event loop, ticking and sampling (timers are unref'd). */
  start(): void {
    this.#monitor.start();
    this.restartTick();
    const sampler = setInterval(() => {
      this.#sample = this.#monitor.sample();
      if (this.#sample.degraded !== this.#degraded) {
        this.#degraded = this.#sample.degraded;
        this.deps.onDegradedChange();
      }
    }, SAMPLE_INTERVAL_MS);
    sampler.unref();
    this.#sampler = sampler;
  }

  /** (Re)start the tick with the current interval (after a hot reload of `gateway.tickIntervalMs`). */
  restartTick(): void {
    if (this.#tick) clearInterval(this.#tick);
    this.#tick = setInterval(() => this.deps.onTick(), this.deps.tickIntervalMs());
    this.#tick.unref();
  }

  /** Clear every timer and stop the event-loop monitor. */
  stop(): void {
    if (this.#sampler) clearInterval(this.#sampler);
    if (this.#tick) clearInterval(this.#tick);
    this.#monitor.stop();
  }
}
