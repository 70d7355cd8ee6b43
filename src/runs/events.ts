// What RunLifecycle publishes on every transition. The event carries the run row and the
// workspace it belongs to, so a subscriber can be authorised without another query, and (when the
// change was stamped by commitInChangeOrder) the run's tenant row as of that commit, so a
// subscription that selects `tenant` needs no read either.
import type { OperationRun, Tenant } from '../generated/prisma/client.js';
import { getDatamodel } from '../generated/pothos-types.js';

export type RunEvent = { workspaceId: string; run: OperationRun };

/** A run row that carries its tenant row (commitInChangeOrder returns them so; events keep it). */
export type RunWithTenant = OperationRun & { tenantAtChange?: Tenant | null };

/** A model's DateTime fields, read from the Prisma datamodel: a new or renamed one needs no edit here. */
const dateFields = (model: 'OperationRun' | 'Tenant') =>
  getDatamodel()
    .datamodel.models[model].fields.filter((f) => f.kind === 'scalar' && f.type === 'DateTime')
    .map((f) => f.name);
const RUN_DATE_FIELDS = dateFields('OperationRun');
const TENANT_DATE_FIELDS = dateFields('Tenant');

function reviveDates(row: Record<string, unknown>, fields: readonly string[]) {
  for (const key of fields) {
    const value = row[key];
    if (typeof value === 'string') row[key] = new Date(value);
  }
}

/**
 * A run that went through JSON (pub/sub, json_agg, row_to_json) carries its timestamps as strings
 * and its changeId as text or a number; the row as read everywhere else has Dates and a bigint.
 * The same for the tenant row it may carry.
 */
export function reviveRun(run: OperationRun): OperationRun {
  reviveDates(run as unknown as Record<string, unknown>, RUN_DATE_FIELDS);
  const changeId = run.changeId as unknown;
  if (typeof changeId === 'string' || typeof changeId === 'number') run.changeId = BigInt(changeId);
  const { tenantAtChange } = run as RunWithTenant;
  if (tenantAtChange) reviveDates(tenantAtChange as unknown as Record<string, unknown>, TENANT_DATE_FIELDS);
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
