// Monitoring reads: what a viewer may see of operation runs, newest first, by opaque cursor.
import type { Viewer } from '../auth/viewer.js';
import { PublicError, isUuid } from '../errors.js';
import type { OperationRun, Prisma, PrismaClient } from '../generated/prisma/client.js';
import type { OperationRunStatus, OperationType } from '../generated/prisma/enums.js';

export type RunFilter = {
  tenantId?: string | null;
  status?: OperationRunStatus[] | null;
  type?: OperationType[] | null;
  initiatedByMe?: boolean | null;
  includeSteps?: boolean | null;
};

export type RunPage = {
  edges: { cursor: string; node: OperationRun }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
};

export const MAX_PAGE = 100;

export function visibleRunsWhere(viewer: Viewer): Prisma.OperationRunWhereInput {
  return { tenant: { workspaceId: { in: [...viewer.roles.keys()] } } };
}

export async function findVisibleRun(prisma: PrismaClient, viewer: Viewer, id: string, query: object = {}): Promise<OperationRun | null> {
  if (!isUuid(id)) return null;
  return prisma.operationRun.findFirst({ ...query, where: { id, ...visibleRunsWhere(viewer) } });
}

const encodeCursor = (run: OperationRun) => Buffer.from(`${run.createdAt.toISOString()}|${run.id}`).toString('base64url');

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [iso, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const createdAt = new Date(iso ?? '');
  if (!id || !isUuid(id) || Number.isNaN(createdAt.getTime())) throw new PublicError('BAD_USER_INPUT', 'Invalid cursor');
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
  if (after) {
    const c = decodeCursor(after);
    where.push({ OR: [{ createdAt: { lt: c.createdAt } }, { createdAt: c.createdAt, id: { lt: c.id } }] });
  }
  const rows = await prisma.operationRun.findMany({
    ...query,
    where: { AND: where },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
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

const emptyPage = (): RunPage => ({ edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } });
