// The Prometheus metrics of one process (README "Running in production" lists them). One Registry
// per Metrics, never prom-client's global one: tests build several services in one process, and
// each must count only its own.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type MetricsOptions = {
  /** Node process metrics (CPU, memory, event loop lag, GC): on for real processes, off for test services. */
  processMetrics?: boolean;
};

/** The outcome label of a schedule firing: the start's status, or what stopped it from starting. */
export type ScheduleFiringOutcome = string;

export class Metrics {
  readonly registry = new Registry();

  /** Every GraphQL start's answer: QUEUED, ALREADY_RUNNING, SCOPE_BUSY, BLOCKED, or the error code it got. */
  readonly gateDecisions = new Counter({
    name: 'atlas_gate_decisions_total',
    help: 'Start decisions by operation type, status (or error code) and block reason',
    labelNames: ['operation', 'status', 'reason'] as const,
    registers: [this.registry],
  });
  readonly admissionSeconds = new Histogram({
    name: 'atlas_gate_admission_seconds',
    help: 'Time from a start reaching the gate to its answer',
    labelNames: ['operation', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly busyWithoutLock = new Counter({
    name: 'atlas_gate_busy_without_lock_total',
    help: "ALREADY_RUNNING / SCOPE_BUSY answers given from a plain read, without taking the tenant's scope lock",
    labelNames: ['operation', 'status'] as const,
    registers: [this.registry],
  });
  readonly scopeLockSeconds = new Histogram({
    name: 'atlas_scope_lock_acquire_seconds',
    help: 'Time one scope lock attempt took, by result: acquired, contended (held by another start) or unavailable',
    labelNames: ['result'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly cancels = new Counter({
    name: 'atlas_cancels_total',
    help: 'cancelOperationRun answers: RunCancelled, CancelRequested, RunAlreadyFinished, or the error code',
    labelNames: ['answer'] as const,
    registers: [this.registry],
  });
  /** For the schedule worker: `metrics.scheduleFirings.inc({ outcome })`. */
  readonly scheduleFirings = new Counter({
    name: 'atlas_schedule_firings_total',
    help: 'Schedule firings by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly runsFinished = new Counter({
    name: 'atlas_runs_finished_total',
    help: 'Top-level runs that reached a terminal state in this process, by type and status',
    labelNames: ['type', 'status'] as const,
    registers: [this.registry],
  });
  readonly retentionPruned = new Counter({
    name: 'atlas_retention_pruned_total',
    help: 'Rows the retention sweep deleted (RUN_RETENTION_DAYS, NOTIFICATION_RETENTION_DAYS), by table: top-level runs (their steps and notifications go with them) and read notifications',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });
  readonly runDurationSeconds = new Histogram({
    name: 'atlas_run_duration_seconds',
    help: 'Top-level runs from RUNNING to their terminal state, by type and status',
    labelNames: ['type', 'status'] as const,
    buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [this.registry],
  });
  readonly queueJobs = new Gauge({
    name: 'atlas_queue_jobs',
    help: 'BullMQ jobs per queue, shard (REDIS_QUEUE_SHARDS) and state (waiting, active, delayed, failed), sampled every METRICS_SAMPLE_MS',
    labelNames: ['queue', 'shard', 'state'] as const,
    registers: [this.registry],
  });
  readonly queueOldestWaitingSeconds = new Gauge({
    name: 'atlas_queue_oldest_waiting_seconds',
    help: 'Age of the oldest job waiting for a worker on a queue shard (0: none waiting), sampled every METRICS_SAMPLE_MS',
    labelNames: ['queue', 'shard'] as const,
    registers: [this.registry],
  });
  readonly websocketConnections = new Gauge({
    name: 'atlas_websocket_connections',
    help: 'Open graphql-ws connections on this API process',
    registers: [this.registry],
  });
  readonly subscriptions = new Gauge({
    name: 'atlas_subscriptions_active',
    help: 'Live GraphQL subscriptions (graphql-ws and SSE) on this API process, by root field',
    labelNames: ['field'] as const,
    registers: [this.registry],
  });
  readonly groupExecutionSeconds = new Histogram({
    name: 'atlas_subscription_group_execution_seconds',
    help: 'One execution of a subscription group for one event (resolvers and serialization, shared by all its members); frames not included',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
    registers: [this.registry],
  });
  readonly groupFramesTotal = new Counter({
    name: 'atlas_subscription_group_frames_total',
    help: 'Frames subscription groups wrote to their members sockets',
    registers: [this.registry],
  });
  readonly sseStreams = new Gauge({
    name: 'atlas_sse_streams',
    help: 'Open SSE (text/event-stream) responses on this API process',
    registers: [this.registry],
  });

  constructor(options: MetricsOptions = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** The Prometheus text exposition of everything above (and the GraphQL timings registered on the same registry). */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
