// The dashboard's aggregate (operationRunStats): runs per time bucket by status, the most
// frequent failure and block reasons, and what is in flight per operation type, each computed by
// PostgreSQL over the runs the viewer may see (never by fetching runs). Three statements; the
// bucketed count is an index range scan on (createdAt) narrowed by the visible workspaces' tenants.
import type { Viewer } from '../auth/viewer.js';
import { visibleWorkspaceIds } from '../auth/visibility.js';
import { PublicError, isUuid } from '../errors.js';
import { Prisma, type PrismaClient } from '../generated/prisma/client.js';
import type { OperationRunStatus, OperationType } from '../generated/prisma/enums.js';
import { ACTIVE_STATUSES } from '../operations/status.js';
import type { RunFilter } from './monitoring.js';

export type StatsBucket = 'HOUR' | 'DAY';

const BUCKET_MS: Record<StatsBucket, number> = { HOUR: 3_600_000, DAY: 86_400_000 };
/** How many buckets one answer may hold: a week of hours, a quarter of days. */
export const MAX_BUCKETS: Record<StatsBucket, number> = { HOUR: 24 * 7, DAY: 92 };
/** Without `since`: the last 24 hours (the current one included), or the last 7 days. */
export const DEFAULT_BUCKETS: Record<StatsBucket, number> = { HOUR: 24, DAY: 7 };
/** How many reasons the answer lists, most frequent first. */
export const TOP_REASONS = 5;

export type StatusCount = { status: OperationRunStatus; count: number };
export type RunStats = {
  since: Date;
  until: Date;
  bucket: StatsBucket;
  /** One per bucket from since's bucket to now's, oldest first, empty buckets included. */
  buckets: { start: Date; total: number; counts: StatusCount[] }[];
  /** Per status over the whole window. */
  totals: StatusCount[];
  /** FAILED and BLOCKED runs of the window by reason code, most frequent first; message of the latest. */
  topReasons: { status: OperationRunStatus; code: string; message: string; count: number }[];
  /** Runs QUEUED or RUNNING now (whenever created), per type. */
  inFlight: { type: OperationType; count: number }[];
};

type Filter = Pick<RunFilter, 'tenantId' | 'type' | 'initiatedByMe' | 'includeSteps' | 'scheduleId'>;

/** The start of the UTC bucket holding `at`. */
export const bucketStart = (at: Date, bucket: StatsBucket) =>
  new Date(Math.floor(at.getTime() / BUCKET_MS[bucket]) * BUCKET_MS[bucket]);

export async function runStats(
  prisma: PrismaClient,
  viewer: Viewer,
  filter: Filter,
  since: Date | null,
  bucket: StatsBucket,
  now = new Date(),
): Promise<RunStats> {
  const from = since
    ? bucketStart(since, bucket)
    : new Date(bucketStart(now, bucket).getTime() - (DEFAULT_BUCKETS[bucket] - 1) * BUCKET_MS[bucket]);
  if (from.getTime() > now.getTime()) throw new PublicError('BAD_USER_INPUT', 'since must not be in the future');
  const count = Math.floor((bucketStart(now, bucket).getTime() - from.getTime()) / BUCKET_MS[bucket]) + 1;
  if (count > MAX_BUCKETS[bucket])
    throw new PublicError(
      'BAD_USER_INPUT',
      `since reaches back ${count} ${bucket === 'HOUR' ? 'hours' : 'days'}: at most ${MAX_BUCKETS[bucket]} buckets of ${bucket}`,
    );
  const buckets = Array.from({ length: count }, (_, i) => ({
    start: new Date(from.getTime() + i * BUCKET_MS[bucket]),
    total: 0,
    counts: [] as StatusCount[],
  }));
  const empty: RunStats = { since: from, until: now, bucket, buckets, totals: [], topReasons: [], inFlight: [] };
  if (filter.tenantId && !isUuid(filter.tenantId)) return empty;
  const workspaces = visibleWorkspaceIds(viewer);
  if (workspaces.length === 0) return empty;

  const conditions: Prisma.Sql[] = [
    Prisma.sql`r."tenantId" IN (SELECT t.id FROM "Tenant" t WHERE t."workspaceId" = ANY(${workspaces}::uuid[]))`,
  ];
  if (!filter.includeSteps) conditions.push(Prisma.sql`r."parentId" IS NULL`);
  if (filter.tenantId) conditions.push(Prisma.sql`r."tenantId" = ${filter.tenantId}::uuid`);
  if (filter.type?.length) conditions.push(Prisma.sql`r.type::text = ANY(${filter.type}::text[])`);
  if (filter.initiatedByMe) conditions.push(Prisma.sql`r."initiatorId" = ${viewer.userId}::uuid`);
  if (filter.scheduleId)
    conditions.push(
      isUuid(filter.scheduleId) ? Prisma.sql`r."scheduleId" = ${filter.scheduleId}::uuid` : Prisma.sql`FALSE`,
    );
  const visible = Prisma.join(conditions, ' AND ');
  const inWindow = Prisma.sql`${visible} AND r."createdAt" >= ${from} AND r."createdAt" <= ${now}`;
  const unit = bucket === 'HOUR' ? 'hour' : 'day';

  const [perBucket, reasons, active] = await Promise.all([
    prisma.$queryRaw<{ start: Date; status: OperationRunStatus; count: number }[]>`
      SELECT date_trunc(${unit}, r."createdAt", 'UTC') AS start, r.status, count(*)::int AS count
      FROM "OperationRun" r WHERE ${inWindow}
      GROUP BY 1, 2`,
    prisma.$queryRaw<{ status: OperationRunStatus; code: string; message: string | null; count: number }[]>`
      SELECT r.status, r."reasonCode" AS code,
             (array_agg(r."reasonMessage" ORDER BY r."createdAt" DESC))[1] AS message, count(*)::int AS count
      FROM "OperationRun" r
      WHERE ${inWindow} AND r.status IN ('FAILED', 'BLOCKED') AND r."reasonCode" IS NOT NULL
      GROUP BY 1, 2 ORDER BY count DESC, code LIMIT ${TOP_REASONS}`,
    prisma.$queryRaw<{ type: OperationType; count: number }[]>`
      SELECT r.type, count(*)::int AS count FROM "OperationRun" r
      WHERE ${visible} AND r.status::text = ANY(${[...ACTIVE_STATUSES]}::text[])
      GROUP BY 1 ORDER BY count DESC, type`,
  ]);

  const byStart = new Map(buckets.map((b) => [b.start.getTime(), b]));
  const totals = new Map<OperationRunStatus, number>();
  for (const row of perBucket) {
    const b = byStart.get(new Date(row.start).getTime());
    if (b) {
      b.counts.push({ status: row.status, count: row.count });
      b.total += row.count;
    }
    totals.set(row.status, (totals.get(row.status) ?? 0) + row.count);
  }
  for (const b of buckets) b.counts.sort((x, y) => x.status.localeCompare(y.status));
  return {
    ...empty,
    totals: [...totals].map(([status, count]) => ({ status, count })).sort((x, y) => y.count - x.count),
    topReasons: reasons.map((r) => ({ ...r, message: r.message ?? r.code })),
    inFlight: active,
  };
}
