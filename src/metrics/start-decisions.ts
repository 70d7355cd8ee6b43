// Gate decisions as an operator sees them, recorded at the edge where GraphQL calls the gate:
// one counter and one latency per answer, whether a busy answer needed the tenant's scope lock,
// and one log line (debug for accepted and deduped, info for every refusal with its reason).
import { AsyncLocalStorage } from 'node:async_hooks';
import { isBackingServiceUnavailable } from '../db/unavailable.js';
import type { Logger } from '../logger.js';
import type { Metrics } from './metrics.js';

/** The parts of the gate's answer that are recorded (StartOutcome fits it). */
export type GateAnswer = {
  status: string;
  reason?: string;
  run?: { id: string; tenantId: string };
  blockingRun?: { id: string; type: string; tenantId: string };
};

export type ScopeLockResult = 'acquired' | 'contended' | 'unavailable';

/** Whether the start being decided in this async context took the scope lock at least once. */
const admission = new AsyncLocalStorage<{ lockTaken: boolean }>();

/** What each scope lock attempt reports: its duration by result, and (for the start it belongs to) that the lock was taken. */
export function scopeLockObserver(metrics: Metrics): (result: ScopeLockResult, seconds: number) => void {
  return (result, seconds) => {
    metrics.scopeLockSeconds.observe({ result }, seconds);
    const trace = admission.getStore();
    if (trace && result === 'acquired') trace.lockTaken = true;
  };
}

/** Runs `decide` (the gate's start), records its answer or error code, and returns / rethrows it unchanged. */
export async function observeStart<T extends GateAnswer>(
  metrics: Metrics,
  log: Logger,
  operation: string,
  decide: () => Promise<T>,
): Promise<T> {
  const trace = { lockTaken: false };
  const began = performance.now();
  const seconds = () => (performance.now() - began) / 1_000;
  let answer: T;
  try {
    answer = await admission.run(trace, decide);
  } catch (err) {
    const code = errorCode(err);
    metrics.gateDecisions.inc({ operation, status: code, reason: '' });
    metrics.admissionSeconds.observe({ operation, status: code }, seconds());
    log.info({ operation, status: code, reason: (err as Error).message }, 'start refused');
    throw err;
  }
  const { status } = answer;
  metrics.gateDecisions.inc({ operation, status, reason: answer.reason ?? '' });
  metrics.admissionSeconds.observe({ operation, status }, seconds());
  const busy = status === 'ALREADY_RUNNING' || status === 'SCOPE_BUSY';
  if (busy && !trace.lockTaken) metrics.busyWithoutLock.inc({ operation, status });

  const line = {
    operation,
    status,
    runId: answer.run?.id,
    tenantId: answer.run?.tenantId ?? answer.blockingRun?.tenantId,
    lockTaken: trace.lockTaken,
  };
  if (status === 'QUEUED' || status === 'ALREADY_RUNNING') log.debug(line, 'start decided');
  else if (status === 'SCOPE_BUSY')
    log.info(
      { ...line, blockingRunId: answer.blockingRun?.id, blockingType: answer.blockingRun?.type },
      'start refused',
    );
  else log.info({ ...line, reason: answer.reason }, 'start refused');
  return answer;
}

/**
 * A product error's code (UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, SERVICE_UNAVAILABLE, ...); a lost
 * database or Redis is SERVICE_UNAVAILABLE, as the API answers it; anything else is INTERNAL_ERROR.
 */
function errorCode(err: unknown): string {
  const code = (err as { extensions?: { code?: unknown } })?.extensions?.code;
  if (typeof code === 'string') return code;
  return isBackingServiceUnavailable(err) ? 'SERVICE_UNAVAILABLE' : 'INTERNAL_ERROR';
}
