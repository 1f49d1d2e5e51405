import { CarapaceError } from '../shared/index.js';

/** Label values of one series, by label name. */
export type Labels = Readonly<Record<string, string>>;

/** One series a collector reports at scrape time. */
export interface Sample {
  labels?: Labels;
  value: number;
}

/** Reads current values when the registry renders (gauges of live state, counters kept elsewhere). */
export type Collect = () => number | readonly Sample[];

export interface MetricOptions {
  /** `[a-zA-Z_:][a-zA-Z0-9_:]*`, e.g. `carapace_runs_started_total`. */
  name: string;
  help: string;
  /** The label names every series of this metric carries, in this order. */
  labelNames?: readonly string[];
}

export interface HistogramOptions extends MetricOptions {
  /** Upper bounds, ascending (`+Inf` is added). */
  buckets: readonly number[];
}

/** Default buckets for durations in seconds: 5 ms … 2 min. */
export const SECONDS_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120,
];

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function invalid(message: string): CarapaceError {
  return new CarapaceError('METRIC_INVALID', message);
}

/** A number in the text format: `+Inf`, `-Inf`, `NaN`, else JavaScript's shortest form. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

/** `{a="x",b="y"}` for the names and values given (empty string when there are none). */
function labelText(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i] ?? '')}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

abstract class Metric {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  abstract readonly type: 'counter' | 'gauge' | 'histogram';

  constructor(options: MetricOptions) {
    if (!NAME.test(options.name)) throw invalid(`metric name '${options.name}' is not valid`);
    for (const l of options.labelNames ?? []) {
      if (!LABEL.test(l) || l.startsWith('__') || l === 'le' || l === 'quantile')
        throw invalid(`metric ${options.name}: label name '${l}' is not valid`);
    }
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames ?? [];
  }

  /** The label values in `labelNames` order; throws for a missing or unknown label. */
  protected values(labels: Labels | undefined): string[] {
    const given = labels ?? {};
    for (const k of Object.keys(given)) {
      if (!this.labelNames.includes(k)) throw invalid(`metric ${this.name} has no label '${k}'`);
    }
    return this.labelNames.map((n) => {
      const v = given[n];
      if (v === undefined) throw invalid(`metric ${this.name} needs label '${n}'`);
      return v;
    });
  }

  protected header(): string {
    return `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n`;
  }

  abstract render(): string;
}

/** A value per series, set directly or read from a collector at render time. */
abstract class ValueMetric extends Metric {
  readonly #series = new Map<string, { values: string[]; value: number }>();
  #collect: Collect | undefined;

  constructor(options: MetricOptions & { collect?: Collect }) {
    super(options);
    this.#collect = options.collect;
  }

  protected add(labels: Labels | undefined, delta: number): void {
    const values = this.values(labels);
    const key = values.join('\u0000');
    const s = this.#series.get(key);
    if (s) s.value += delta;
    else this.#series.set(key, { values, value: delta });
  }

  protected put(labels: Labels | undefined, value: number): void {
    const values = this.values(labels);
    this.#series.set(values.join('\u0000'), { values, value });
  }

  /** The current value of one series (0 when it was never touched). */
  get(labels?: Labels): number {
    return this.#series.get(this.values(labels).join('\u0000'))?.value ?? 0;
  }

  render(): string {
    let body = '';
    if (this.#collect) {
      const got = this.#collect();
      const samples = typeof got === 'number' ? [{ value: got }] : got;
      for (const s of samples)
        body += `${this.name}${labelText(this.labelNames, this.values(s.labels))} ${formatValue(s.value)}\n`;
    }
    for (const s of this.#series.values())
      body += `${this.name}${labelText(this.labelNames, s.values)} ${formatValue(s.value)}\n`;
    return this.header() + body;
  }
}

/** A value that only goes up (reset only by a restart). */
export class Counter extends ValueMetric {
  readonly type = 'counter';
  inc(labels?: Labels, by = 1): void {
    if (!(by >= 0)) throw invalid(`counter ${this.name} cannot go down (inc by ${by})`);
    this.add(labels, by);
  }
}

/** A value that goes up and down. */
export class Gauge extends ValueMetric {
  readonly type = 'gauge';
  set(labels: Labels | undefined, value: number): void {
    this.put(labels, value);
  }
  inc(labels?: Labels, by = 1): void {
    this.add(labels, by);
  }
  dec(labels?: Labels, by = 1): void {
    this.add(labels, -by);
  }
}

/** Observations counted into cumulative buckets, with their sum and count. */
export class Histogram extends Metric {
  readonly type = 'histogram';
  readonly buckets: readonly number[];
  readonly #series = new Map<string, { values: string[]; counts: number[]; sum: number; count: number }>();

  constructor(options: HistogramOptions) {
    super(options);
    const b = [...options.buckets];
    if (b.length === 0 || b.some((x, i) => !Number.isFinite(x) || (i > 0 && x <= b[i - 1]!)))
      throw invalid(`histogram ${options.name}: buckets must be finite and ascending`);
    this.buckets = b;
  }

  observe(labels: Labels | undefined, value: number): void {
    const values = this.values(labels);
    const key = values.join('\u0000');
    let s = this.#series.get(key);
    if (!s) {
      s = { values, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  /** Count and sum of one series. */
  get(labels?: Labels): { count: number; sum: number } {
    const s = this.#series.get(this.values(labels).join('\u0000'));
    return { count: s?.count ?? 0, sum: s?.sum ?? 0 };
  }

  render(): string {
    let body = '';
    for (const s of this.#series.values()) {
      this.buckets.forEach((le, i) => {
        body += `${this.name}_bucket${labelText(this.labelNames, s.values, ['le', formatValue(le)])} ${s.counts[i]}\n`;
      });
      body += `${this.name}_bucket${labelText(this.labelNames, s.values, ['le', '+Inf'])} ${s.count}\n`;
      body += `${this.name}_sum${labelText(this.labelNames, s.values)} ${formatValue(s.sum)}\n`;
      body += `${this.name}_count${labelText(this.labelNames, s.values)} ${s.count}\n`;
    }
    return this.header() + body;
  }
}

/** The content type of `render()`'s output (Prometheus text exposition format 0.0.4). */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Named metrics of one process, rendered in the Prometheus text format. Each name is registered once;
 * a collector that throws is skipped (its metric is left out of that scrape) so one broken source cannot
 * take the whole endpoint down.
 */
export class MetricsRegistry {
  readonly #metrics = new Map<string, Metric>();

  counter(options: MetricOptions & { collect?: Collect }): Counter {
    return this.#add(new Counter(options));
  }
  gauge(options: MetricOptions & { collect?: Collect }): Gauge {
    return this.#add(new Gauge(options));
  }
  histogram(options: HistogramOptions): Histogram {
    return this.#add(new Histogram(options));
  }

  #add<M extends Metric>(metric: M): M {
    if (this.#metrics.has(metric.name)) throw invalid(`metric ${metric.name} is registered twice`);
    this.#metrics.set(metric.name, metric);
    return metric;
  }

  /** Every metric in registration order, as one text exposition document. */
  render(): string {
    let out = '';
    for (const m of this.#metrics.values()) {
      try {
        out += m.render();
      } catch {
        // A collector failed (its source is stopping, say): leave this metric out of this scrape.
      }
    }
    return out;
  }
}
