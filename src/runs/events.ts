// What RunLifecycle publishes on every transition. The event carries the run row and the
// workspace it belongs to, so a subscriber can be authorised without another query.
import type { OperationRun } from '../generated/prisma/client.js';
import { getDatamodel } from '../generated/pothos-types.js';

export type RunEvent = { workspaceId: string; run: OperationRun };

/** The run's DateTime fields, read from the Prisma datamodel: a new or renamed one needs no edit here. */
const RUN_DATE_FIELDS = getDatamodel()
  .datamodel.models.OperationRun.fields.filter((f) => f.kind === 'scalar' && f.type === 'DateTime')
  .map((f) => f.name as keyof OperationRun);

/**
 * A run that went through JSON (pub/sub, json_agg) carries its timestamps as strings and its
 * changeId as text or a number; the row as read everywhere else has Dates and a bigint.
 */
export function reviveRun(run: OperationRun): OperationRun {
  for (const key of RUN_DATE_FIELDS) {
    const value = run[key] as unknown;
    if (typeof value === 'string') (run as Record<string, unknown>)[key] = new Date(value);
  }
  const changeId = run.changeId as unknown;
  if (typeof changeId === 'string' || typeof changeId === 'number') run.changeId = BigInt(changeId);
  return run;
}
/** The workspace lets a subscriber be re-authorised for every delivery without a query. */
export type NotificationEvent = { userId: string; workspaceId: string; notificationId: string };

export interface RunEventPublisher {
  runUpdated(event: RunEvent): Promise<void>;
  notificationCreated(event: NotificationEvent): Promise<void>;
}

export const NO_EVENTS: RunEventPublisher = {
  runUpdated: async () => undefined,
  notificationCreated: async () => undefined,
};
