// BullMQ queue depths, sampled on an interval rather than on every scrape: several Prometheus
// servers (or a scrape storm) cost Redis nothing extra. The queues are passed in by shape, so
// this module does not import BullMQ (only src/jobs/ does).
import type { Logger } from '../logger.js';
import type { Metrics } from './metrics.js';

export type SampledQueue = {
  readonly name: string;
  /** Which of the queue's shards (REDIS_QUEUE_SHARDS; '0' for a queue of one). */
  readonly shard: string;
  getJobCounts(...states: ('waiting' | 'active' | 'delayed' | 'failed')[]): Promise<Record<string, number>>;
  getJobs(states: 'wait'[], start: number, end: number, asc: boolean): Promise<({ timestamp: number } | undefined)[]>;
};

const STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

export function sampleQueues(
  metrics: Metrics,
  queues: readonly SampledQueue[],
  intervalMs: number,
  log: Logger,
): { stop(): void } {
  let failing = false;
  const sample = async () => {
    try {
      for (const queue of queues) {
        const counts = await queue.getJobCounts(...STATES);
        const labels = { queue: queue.name, shard: queue.shard };
        for (const state of STATES) metrics.queueJobs.set({ ...labels, state }, counts[state] ?? 0);
        const [oldest] = await queue.getJobs(['wait'], 0, 0, true);
        metrics.queueOldestWaitingSeconds.set(
          labels,
          oldest ? Math.max(0, (Date.now() - oldest.timestamp) / 1_000) : 0,
        );
      }
      failing = false;
    } catch (err) {
      // Redis down: the last values stay (and so do the alerts on them); one line per outage.
      if (!failing) log.warn({ err: (err as Error).message }, 'queue metrics not sampled');
      failing = true;
    }
  };
  void sample();
  const timer = setInterval(() => void sample(), intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
