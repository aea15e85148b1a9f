import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process's Prometheus registry and every metric the system exports at `/metrics`.
 * Roles import the metric objects from here and update them; nothing else creates metrics.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'tms_' });

/** HTTP latency by route pattern (never the raw URL, so ids cannot explode the label set). */
export const httpRequestDuration = new Histogram({
  name: 'tms_http_request_duration_seconds',
  help: 'HTTP request latency by method, route pattern and status code',
  labelNames: ['method', 'route', 'status_code'] as const,
  buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
});

/** Readings newly stored (after dedupe). */
export const readingsStoredTotal = new Counter({
  name: 'tms_readings_stored_total',
  help: 'Readings stored (new rows)',
  registers: [metricsRegistry],
});

/** Readings rejected by validation, by reason (e.g. `future_timestamp`, `unknown_unit`, `malformed`). */
export const readingsRejectedTotal = new Counter({
  name: 'tms_readings_rejected_total',
  help: 'Readings rejected, by reason',
  labelNames: ['reason'] as const,
  registers: [metricsRegistry],
});

/** Readings that were already stored (same unit and recorded_at). */
export const readingsDuplicateTotal = new Counter({
  name: 'tms_readings_duplicate_total',
  help: 'Readings skipped because an identical (unit, recorded_at) reading was stored before',
  registers: [metricsRegistry],
});

/** Messages (batches) waiting in the queue. */
export const queueDepth = new Gauge({
  name: 'tms_queue_depth',
  help: 'Batches waiting in the reading queue',
  registers: [metricsRegistry],
});

/** One ingestion run (collect, process, enqueue) per customer, by method and outcome. */
export const ingestionRunDuration = new Histogram({
  name: 'tms_ingestion_run_duration_seconds',
  help: 'Duration of one ingestion run per customer',
  labelNames: ['method', 'status'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  registers: [metricsRegistry],
});

/** Open (not closed) alarms by severity, refreshed by the alarm evaluator (src/alarms/). */
export const alarmsOpen = new Gauge({
  name: 'tms_alarms_open',
  help: 'Alarms not yet closed (active, acknowledged or cleared-unacknowledged), by severity',
  labelNames: ['severity'] as const,
  registers: [metricsRegistry],
});

/** Per-unit alarm evaluations, by outcome (`ok`, `replayed` for late readings, `error`). */
export const alarmEvaluationsTotal = new Counter({
  name: 'tms_alarm_evaluations_total',
  help: 'Per-unit alarm evaluations, by outcome',
  labelNames: ['outcome'] as const,
  registers: [metricsRegistry],
});

/** Alarms raised, by kind and severity. */
export const alarmsRaisedTotal = new Counter({
  name: 'tms_alarms_raised_total',
  help: 'Alarms raised, by kind and severity',
  labelNames: ['kind', 'severity'] as const,
  registers: [metricsRegistry],
});

/** Notification send attempts, by channel type and result (`sent`, `failed`, `gave_up`). */
export const notificationSendsTotal = new Counter({
  name: 'tms_notification_sends_total',
  help: 'Notification send attempts, by channel type and result',
  labelNames: ['channel', 'result'] as const,
  registers: [metricsRegistry],
});
