// How runs are stored so that a start's cost does not grow with history (issue 23, README "Cost
// under history"): run and notification ids are time-ordered (UUIDv7), so each insert lands at the
// end of the primary key instead of on a random leaf of an index as large as the history; and a
// tenant's active runs come from a partial index of QUEUED and RUNNING runs only, whose predicate
// is the status vocabulary's (src/operations/status.ts), as the active dedupe key index's is.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Initiator, SYSTEM } from '../../src/gate/start-gate.js';
import { ACTIVE_STATUSES, SQL_ACTIVE } from '../../src/operations/status.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
beforeAll(async () => {
  world = await createWorld();
});
afterAll(async () => world?.close());

const owner: Initiator = {
  userId: ids.user('owner@contoso.test'),
  roles: new Map([[ids.workspace('Contoso MSP'), 'OWNER' as const]]),
};

const VERSION_7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ascending = (list: string[]) => [...list].sort();

describe('run and notification ids', () => {
  it('are UUIDv7 and increase in the order runs, their steps and notifications are made', async () => {
    await world.reset();
    const { gate, lifecycle, prisma } = world.services;
    const made: string[] = [];
    const ended: string[] = [];
    // Admitted, blocked (Cedar has no connection), a system start, a bootstrap with its steps, admitted.
    for (const [who, type, tenant] of [
      [owner, 'TENANT_VERIFICATION', 'Alpine'],
      [owner, 'DIRECTORY_GROUPS_SYNC', 'Cedar'],
      [SYSTEM, 'ROLE_DEFINITIONS_SYNC', 'Alpine'],
      [owner, 'ONBOARDING_BOOTSTRAP', 'Elm'],
      [owner, 'TENANT_VERIFICATION', 'Birch'],
    ] as const) {
      const outcome = await gate.start(who, { type, tenantId: ids.tenant(tenant) });
      if (outcome.status !== 'QUEUED' && outcome.status !== 'BLOCKED') throw new Error(`${type}: ${outcome.status}`);
      made.push(outcome.run.id);
      if (outcome.status === 'QUEUED' && who === owner) ended.unshift(outcome.run.id); // the later ends first
      if (type === 'ONBOARDING_BOOTSTRAP') {
        const steps = await prisma.operationRun.findMany({
          where: { parentId: outcome.run.id },
          orderBy: { step: 'asc' },
        });
        expect(steps.length).toBeGreaterThan(1);
        made.push(...steps.map((s) => s.id));
      }
    }
    for (const id of made) expect(id).toMatch(VERSION_7);
    expect(made).toEqual(ascending(made));

    // The initiator's notifications, in the order their runs end.
    const notified: string[] = [];
    for (const runId of ended) {
      await lifecycle.markRunning(runId);
      await lifecycle.finish(runId, { status: 'SUCCEEDED', summary: { total: 1, succeeded: 1 } });
      notified.push((await prisma.notification.findUniqueOrThrow({ where: { runId } })).id);
    }
    expect(notified).toHaveLength(ended.length);
    expect(ended.length).toBeGreaterThan(1);
    for (const id of notified) expect(id).toMatch(VERSION_7);
    expect(notified).toEqual(ascending(notified));
  });
});

describe('active-run indexes', () => {
  it("list exactly ACTIVE_STATUSES in their WHERE clause, and a start's active-run read uses the partial one", async () => {
    const { prisma } = world.services;
    const partial = await prisma.$queryRawUnsafe<{ indexname: string; indexdef: string }[]>(
      `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'OperationRun' AND indexdef LIKE '% WHERE %' ORDER BY 1`,
    );
    expect(partial.map((i) => i.indexname)).toEqual([
      'OperationRun_active_dedupeKey_key',
      'OperationRun_active_tenantId_idx',
    ]);
    for (const { indexname, indexdef } of partial) {
      const listed = [...indexdef.split(' WHERE ')[1].matchAll(/'(\w+)'/g)].map((m) => m[1]);
      expect(listed.sort(), indexname).toEqual([...ACTIVE_STATUSES].sort());
    }
    // The index over every run's (tenantId, status) it replaced is gone: it grew with history.
    const all = await prisma.$queryRawUnsafe<{ indexname: string }[]>(
      `SELECT indexname FROM pg_indexes WHERE tablename = 'OperationRun'`,
    );
    expect(all.map((i) => i.indexname)).not.toContain('OperationRun_tenantId_status_idx');

    // The read as the admission makes it (a test database is a few pages: no sequential scan).
    const [, plan] = await prisma.$transaction([
      prisma.$executeRawUnsafe('SET LOCAL enable_seqscan = off'),
      prisma.$queryRawUnsafe<{ 'QUERY PLAN': string }[]>(
        `EXPLAIN SELECT * FROM "OperationRun"
         WHERE "tenantId" = $1::uuid AND "parentId" IS NULL AND status IN ${SQL_ACTIVE}`,
        ids.tenant('Alpine'),
      ),
    ]);
    expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toContain('OperationRun_active_tenantId_idx');
  });
});
