import { type Counter, type Histogram, MetricsRegistry, type Sample, SECONDS_BUCKETS } from './registry.js';

/** How a run ended, as the run metrics count it. */
export type RunEnd = 'ok' | 'error' | 'timeout' | 'aborted' | 'dropped';

/** The part of the run path's metrics the run service calls (a port, so tests and benches may omit it). */
export interface RunMetrics {
  /** A message was accepted for a turn (durable or not). */
  runAccepted(method: string): void;
  /** Its turn started. */
  runStarted(method: string): void;
  /** It was answered or given up; `seconds` from acceptance to the end. */
  runFinished(method: string, end: RunEnd, seconds: number): void;
  /** The same model stream, timing every call and counting its tokens and cost. */
  meterModel<S extends MeteredStream>(stream: S): S;
}

/** The shape of a model event the meter reads (structurally the models folder's `ModelEvent`). */
interface MeteredEvent {
  type: string;
  provider?: string;
  model?: string;
  usage?: { input: number; output: number; cacheRead?: number; cacheWrite?: number };
  cost?: { total: number };
  error?: { kind: string };
}

/** Anything with a model `stream(request)` (the models folder's `ModelStream` / `ModelRuntime`). */
export interface MeteredStream {
  // biome-ignore lint/suspicious/noExplicitAny: the request type belongs to the models folder
  stream(request: any): AsyncIterable<MeteredEvent>;
}

/** Per-account channel counters since start (the channels folder's `AccountStats`, structurally). */
export interface AccountCounters {
  received?: number;
  sent?: number;
  retries?: number;
  sendFailures?: number;
}

/** An event-loop sample in milliseconds (the gateway's `EventLoopHealth`, structurally). */
export interface EventLoopSample {
  delayP50Ms: number;
  delayP99Ms: number;
  delayMaxMs: number;
  utilization: number;
}

/** Live figures read at scrape time. Each is optional; a missing one leaves its metric empty. */
export interface MetricsSources {
  /** Turns running and messages waiting in the session lanes. */
  lanes?: () => { running: number; pending: number; lanes: number };
  /** Open WebSocket connections. */
  connections?: () => number;
  /** The gateway's latest event-loop sample (milliseconds). */
  eventLoop?: () => EventLoopSample;
  /** `channels.status()`: per-account counters since start. */
  channels?: () => {
    channelAccounts: Record<string, readonly { accountId: string; stats?: AccountCounters }[]>;
  };
}

const NS = 'carapace';

/**
 * The gateway's metrics (`GET /metrics`): runs, lanes, model calls, tokens and cost, channel delivery,
 * WebSocket connections and frames, event-loop delay and process memory. Counters are process-lifetime
 * (a restart resets them, as Prometheus expects). Live gauges read `sources` at scrape time.
 */
export class GatewayMetrics implements RunMetrics {
  readonly registry = new MetricsRegistry();
  readonly runsAccepted: Counter;
  readonly runsStarted: Counter;
  readonly runsFinished: Counter;
  readonly runsFailed: Counter;
  readonly runDuration: Histogram;
  readonly modelDuration: Histogram;
  readonly modelCalls: Counter;
  readonly tokens: Counter;
  readonly cost: Counter;
  readonly frames: Counter;
  readonly #sources: MetricsSources = {};
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
    const r = this.registry;
    const src = this.#sources;
    this.runsAccepted = r.counter({
      name: `${NS}_runs_accepted_total`,
      help: 'Messages accepted for a turn, by method (agent, chat.send, channel, cron, openai, agent-bus).',
      labelNames: ['method'],
    });
    this.runsStarted = r.counter({
      name: `${NS}_runs_started_total`,
      help: 'Turns started, by method.',
      labelNames: ['method'],
    });
    this.runsFinished = r.counter({
      name: `${NS}_runs_finished_total`,
      help: 'Messages answered or given up, by method and status (ok, error, timeout, aborted, dropped).',
      labelNames: ['method', 'status'],
    });
    this.runsFailed = r.counter({
      name: `${NS}_runs_failed_total`,
      help: 'Messages that ended in error, timeout or dropped, by method and status.',
      labelNames: ['method', 'status'],
    });
    this.runDuration = r.histogram({
      name: `${NS}_run_duration_seconds`,
      help: 'Time from acceptance to the end of the run (queue wait included), by method.',
      labelNames: ['method'],
      buckets: SECONDS_BUCKETS,
    });
    r.gauge({
      name: `${NS}_lane_queue_depth`,
      help: 'Messages in the session lanes by state: running (in a turn) or queued (waiting).',
      labelNames: ['state'],
      collect: () => {
        const s = src.lanes?.();
        return s
          ? [
              { labels: { state: 'running' }, value: s.running },
              { labels: { state: 'queued' }, value: s.pending },
            ]
          : [];
      },
    });
    r.gauge({
      name: `${NS}_lanes`,
      help: 'Sessions with work (a running turn or waiting messages).',
      collect: () => (src.lanes ? [{ value: src.lanes().lanes }] : []),
    });
    this.modelCalls = r.counter({
      name: `${NS}_model_calls_total`,
      help: 'Model calls by provider, model and outcome (ok, or the error kind).',
      labelNames: ['provider', 'model', 'outcome'],
    });
    this.modelDuration = r.histogram({
      name: `${NS}_model_call_duration_seconds`,
      help: 'Time of one model call (retries and failover included) until its last event.',
      labelNames: ['provider', 'model'],
      buckets: SECONDS_BUCKETS,
    });
    this.tokens = r.counter({
      name: `${NS}_model_tokens_total`,
      help: 'Tokens by provider, model and direction (input, output, cache_read, cache_write).',
      labelNames: ['provider', 'model', 'direction'],
    });
    this.cost = r.counter({
      name: `${NS}_model_cost_usd_total`,
      help: "Cost in USD by the models' price tables, by provider and model.",
      labelNames: ['provider', 'model'],
    });
    const perAccount = (pick: (s: AccountCounters) => number | undefined) => (): Sample[] => {
      const out: Sample[] = [];
      const status = src.channels?.();
      for (const [channel, accounts] of Object.entries(status?.channelAccounts ?? {})) {
        for (const a of accounts) {
          const v = a.stats ? pick(a.stats) : undefined;
          if (v !== undefined) out.push({ labels: { channel, account: a.accountId }, value: v });
        }
      }
      return out;
    };
    const channelCounter = (name: string, help: string, pick: Parameters<typeof perAccount>[0]) =>
      r.counter({
        name: `${NS}_${name}`,
        help,
        labelNames: ['channel', 'account'],
        collect: perAccount(pick),
      });
    channelCounter(
      'channel_messages_received_total',
      'Inbound channel messages, by channel and account.',
      (s) => s.received,
    );
    channelCounter(
      'channel_chunks_sent_total',
      'Outbound chunks delivered, by channel and account.',
      (s) => s.sent,
    );
    channelCounter(
      'channel_delivery_retries_total',
      'Outbound sends retried after a retryable failure, by channel and account.',
      (s) => s.retries,
    );
    channelCounter(
      'channel_delivery_failures_total',
      'Outbound chunks that finally failed or whose outcome is unknown, by channel and account.',
      (s) => s.sendFailures,
    );
    r.gauge({
      name: `${NS}_ws_connections`,
      help: 'Open WebSocket connections (handshaking and authenticated).',
      collect: () => (src.connections ? [{ value: src.connections() }] : []),
    });
    this.frames = r.counter({
      name: `${NS}_ws_frames_total`,
      help: 'WebSocket frames by direction (in: received, out: sent).',
      labelNames: ['direction'],
    });
    const loop = (name: string, help: string, pick: (e: EventLoopSample) => number) =>
      r.gauge({
        name: `${NS}_${name}`,
        help,
        collect: () => (src.eventLoop ? [{ value: pick(src.eventLoop()) }] : []),
      });
    loop(
      'event_loop_delay_p50_seconds',
      'Event-loop delay, median over the last sample window (2 s).',
      (e) => e.delayP50Ms / 1000,
    );
    loop(
      'event_loop_delay_p99_seconds',
      'Event-loop delay, 99th percentile over the last sample window.',
      (e) => e.delayP99Ms / 1000,
    );
    loop(
      'event_loop_delay_max_seconds',
      'Event-loop delay, maximum over the last sample window.',
      (e) => e.delayMaxMs / 1000,
    );
    loop(
      'event_loop_utilization',
      'Share of the last sample window the event loop was busy (0..1).',
      (e) => e.utilization,
    );
    r.gauge({
      name: `${NS}_process_resident_memory_bytes`,
      help: 'Resident set size of the gateway process.',
      collect: () => process.memoryUsage.rss(),
    });
  }

  /** Where the live gauges read from (set once the gateway has built them). */
  setSources(sources: MetricsSources): void {
    Object.assign(this.#sources, sources);
  }

  runAccepted(method: string): void {
    this.runsAccepted.inc({ method });
  }
  runStarted(method: string): void {
    this.runsStarted.inc({ method });
  }
  runFinished(method: string, end: RunEnd, seconds: number): void {
    this.runsFinished.inc({ method, status: end });
    if (end === 'error' || end === 'timeout' || end === 'dropped')
      this.runsFailed.inc({ method, status: end });
    this.runDuration.observe({ method }, Math.max(0, seconds));
  }
  /** A WebSocket frame went in or out. */
  frame(direction: 'in' | 'out'): void {
    this.frames.inc({ direction });
  }

  meterModel<S extends MeteredStream>(inner: S): S {
    const metered = Object.create(inner) as S;
    metered.stream = (request: { model?: unknown }) => this.#meter(inner.stream(request), request.model);
    return metered;
  }

  async *#meter(events: AsyncIterable<MeteredEvent>, ref: unknown): AsyncGenerator<MeteredEvent> {
    const t0 = this.#now();
    // Until the stream says which model answers: the requested `<provider>/<model>`.
    const slash = typeof ref === 'string' ? ref.indexOf('/') : -1;
    let provider = slash > 0 ? (ref as string).slice(0, slash) : 'unknown';
    let model = slash > 0 ? (ref as string).slice(slash + 1) : 'unknown';
    let outcome = 'aborted';
    try {
      for await (const ev of events) {
        if (ev.type === 'start') {
          provider = ev.provider ?? provider;
          model = ev.model ?? model;
        } else if (ev.type === 'usage' && ev.usage) {
          const labels = (direction: string) => ({ provider, model, direction });
          this.tokens.inc(labels('input'), ev.usage.input);
          this.tokens.inc(labels('output'), ev.usage.output);
          this.tokens.inc(labels('cache_read'), ev.usage.cacheRead ?? 0);
          this.tokens.inc(labels('cache_write'), ev.usage.cacheWrite ?? 0);
          this.cost.inc({ provider, model }, ev.cost?.total ?? 0);
        } else if (ev.type === 'finish') outcome = 'ok';
        else if (ev.type === 'error') outcome = ev.error?.kind ?? 'unknown';
        yield ev;
      }
    } finally {
      this.modelCalls.inc({ provider, model, outcome });
      this.modelDuration.observe({ provider, model }, (this.#now() - t0) / 1000);
    }
  }
}
