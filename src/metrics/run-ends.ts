// Runs reaching a terminal state, counted where RunLifecycle publishes every transition: a
// RunEventPublisher that records and then hands the event on. Counted in the process that made
// the transition (workers for executions, the API for blocked starts and cancelled queued runs),
// so the sum over all processes is the whole; counted even when the publish itself fails.
import { isTerminal } from '../operations/status.js';
import type { NotificationEvent, RunEvent, RunEventPublisher } from '../runs/events.js';
import type { Metrics } from './metrics.js';

export function countingRunEnds(inner: RunEventPublisher, metrics: Metrics): RunEventPublisher {
  return {
    runUpdated(event: RunEvent): Promise<void> {
      recordRunEnd(metrics, event);
      return inner.runUpdated(event);
    },
    notificationCreated: (event: NotificationEvent) => inner.notificationCreated(event),
  };
}

function recordRunEnd(metrics: Metrics, { run }: RunEvent): void {
  // A bootstrap's steps are part of their bootstrap: counting them too would count one failure twice.
  if (!isTerminal(run.status) || run.parentId) return;
  const labels = { type: run.type, status: run.status };
  metrics.runsFinished.inc(labels);
  if (run.startedAt && run.finishedAt)
    metrics.runDurationSeconds.observe(labels, (time(run.finishedAt) - time(run.startedAt)) / 1_000);
}

const time = (value: Date | string) => new Date(value).getTime();
