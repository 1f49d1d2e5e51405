/**
 * metrics: a small Prometheus registry (counters, gauges, histograms; the text format written here),
 * the gateway's metric set and the `GET /metrics` handler. Imports only shared. See README.md.
 */
export type {
  AccountCounters,
  EventLoopSample,
  MeteredStream,
  MetricsSources,
  RunEnd,
  RunMetrics,
} from './gateway-metrics.js';
export { GatewayMetrics } from './gateway-metrics.js';
export type { MetricsHandlerDeps } from './http.js';
export { createMetricsHandler } from './http.js';
export type { Collect, HistogramOptions, Labels, MetricOptions, Sample } from './registry.js';
export {
  Counter,
  formatValue,
  Gauge,
  Histogram,
  METRICS_CONTENT_TYPE,
  MetricsRegistry,
  SECONDS_BUCKETS,
} from './registry.js';
