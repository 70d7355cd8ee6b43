// Monitoring reads: what a viewer may see of operation runs, newest first, by opaque cursor.
import type { Viewer } from '../auth/viewer.js';
import { visibleTenants } from '../auth/visibility.js';
import { PublicError, isUuid } from '../errors.js';
import type { OperationRun, Prisma, PrismaClient } from '../generated/prisma/client.js';
import type { OperationRunStatus, OperationType } from '../generated/prisma/enums.js';

export type RunFilter = {
  tenantId?: string | null;
  status?: OperationRunStatus[] | null;
  type?: OperationType[] | null;
  initiatedByMe?: boolean | null;
  includeSteps?: boolean | null;
  scheduleId?: string | null;
};

export type RunPage = {
  edges: { cursor: string; node: OperationRun }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
};

export const MAX_PAGE = 100;

export function visibleRunsWhere(viewer: Viewer): Prisma.OperationRunWhereInput {
  return { tenant: visibleTenants(viewer) };
}

export async function isVisibleTenant(prisma: PrismaClient, viewer: Viewer, id: string): Promise<boolean> {
  return isUuid(id) && (await prisma.tenant.count({ where: { id, ...visibleTenants(viewer) } })) > 0;
}

export async function findVisibleRun(
  prisma: PrismaClient,
  viewer: Viewer,
  id: string,
  query: object = {},
): Promise<OperationRun | null> {
  if (!isUuid(id)) return null;
  return prisma.operationRun.findFirst({ ...query, where: { id, ...visibleRunsWhere(viewer) } });
}

// Newest first; a bootstrap and its steps share createdAt (one insert), so among equal times the
// parent (step null) comes first, then its steps by number, then id: a total, stable order.
const RUN_ORDER: Prisma.OperationRunOrderByWithRelationInput[] = [
  { createdAt: 'desc' },
  { step: { sort: 'asc', nulls: 'first' } },
  { id: 'desc' },
];

// createdAt|id|step. Cursors written before the step was added (createdAt|id) read as step null,
// which is exact for listings without steps.
const encodeCursor = (run: OperationRun) =>
  Buffer.from(`${run.createdAt.toISOString()}|${run.id}|${run.step ?? ''}`).toString('base64url');

function cursorStep(cursor: string): number | null {
  const step = Buffer.from(cursor, 'base64url').toString().split('|')[2] ?? '';
  if (step === '') return null;
  if (!/^\d{1,4}$/.test(step)) throw new PublicError('BAD_USER_INPUT', 'Invalid cursor');
  return Number(step);
}

/** The rows after (c.createdAt, c.step, c.id) in RUN_ORDER. */
function afterCursor(c: { createdAt: Date; id: string }, step: number | null): Prisma.OperationRunWhereInput {
  const sameTimeAfter: Prisma.OperationRunWhereInput[] =
    step === null
      ? [{ step: { not: null } }, { step: null, id: { lt: c.id } }]
      : [{ step: { gt: step } }, { step, id: { lt: c.id } }];
  return { OR: [{ createdAt: { lt: c.createdAt } }, { createdAt: c.createdAt, OR: sameTimeAfter }] };
}

// Only what encodeCursor writes: a four-digit year from 0001 (PostgreSQL cannot store every date
// JavaScript can, e.g. year -5000, and such a date must not reach it as a database error).
const CURSOR_DATE = /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [iso, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const createdAt = new Date(iso ?? '');
  const valid =
    id &&
    isUuid(id) &&
    CURSOR_DATE.test(iso ?? '') &&
    !Number.isNaN(createdAt.getTime()) &&
    createdAt.toISOString() === iso;
  if (!valid) throw new PublicError('BAD_USER_INPUT', 'Invalid cursor');
  return { createdAt, id };
}

export async function listRuns(
  prisma: PrismaClient,
  viewer: Viewer,
  filter: RunFilter,
  first: number,
  after: string | null,
  query: object = {},
): Promise<RunPage> {
  if (first < 0 || first > MAX_PAGE) throw new PublicError('BAD_USER_INPUT', `first must be between 0 and ${MAX_PAGE}`);
  if (filter.tenantId && !isUuid(filter.tenantId)) return emptyPage();
  const where: Prisma.OperationRunWhereInput[] = [visibleRunsWhere(viewer)];
  if (!filter.includeSteps) where.push({ parentId: null });
  if (filter.tenantId) where.push({ tenantId: filter.tenantId });
  if (filter.status?.length) where.push({ status: { in: filter.status } });
  if (filter.type?.length) where.push({ type: { in: filter.type } });
  if (filter.initiatedByMe) where.push({ initiatorId: viewer.userId });
  if (filter.scheduleId)
    where.push({ scheduleId: isUuid(filter.scheduleId) ? filter.scheduleId : '00000000-0000-0000-0000-000000000000' });
  if (after) where.push(afterCursor(decodeCursor(after), cursorStep(after)));
  const rows = await prisma.operationRun.findMany({
    ...query,
    where: { AND: where },
    orderBy: RUN_ORDER,
    take: first + 1,
  });
  const page = rows.slice(0, first);
  return {
    edges: page.map((node) => ({ cursor: encodeCursor(node), node })),
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: Boolean(after),
      startCursor: page.length ? encodeCursor(page[0]) : null,
      endCursor: page.length ? encodeCursor(page[page.length - 1]) : null,
    },
  };
}

const emptyPage = (): RunPage => ({
  edges: [],
  pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
});
