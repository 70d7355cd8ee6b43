// History retention (issue 23, src/runs/retention.ts) on the real PostgreSQL: a sweep deletes
// exactly the terminal runs and read notifications past their retention, and keeps what is still
// needed (an active run, a schedule's latest run and last outcome, a restore run's last execution,
// a run finished recently, a run with an unread notification); it works in batches; and it holds
// no lock a start needs: a sweep over a tenant's history completes inside that tenant's admission.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { StartRequest } from '../../src/gate/start-gate.js';
import { SYSTEM } from '../../src/gate/start-gate.js';
import type { OperationRunStatus } from '../../src/generated/prisma/client.js';
import { Retention } from '../../src/runs/retention.js';
import { createWorld, ids, type World } from '../support/world.js';

const DAY = 86_400_000;
let world: World;
/** Runs inside an admission (its tenant row locked), set by the test that needs it. */
let insideAdmission: ((req: StartRequest) => Promise<void>) | null = null;

beforeAll(async () => {
  world = await createWorld(
    {},
    { gate: { racepoints: { beforeInsert: (req) => insideAdmission?.(req) ?? Promise.resolve() } } },
  );
});
afterAll(async () => world?.close());
beforeEach(async () => {
  insideAdmission = null;
  await world.reset();
});

const ALPINE = ids.tenant('Alpine');
const OWNER = ids.user('owner@contoso.test');

function retention(batch = 500) {
  return new Retention(world.services.prisma, world.services.metrics, world.services.log, {
    runDays: 90,
    notificationDays: 30,
    batch,
    intervalMs: 3_600_000,
  });
}

type RunFixture = {
  ageDays: number;
  status?: OperationRunStatus;
  /** Days ago it finished; default: when created, for a terminal run. */
  finishedDaysAgo?: number;
  scheduleId?: string;
  restoreRunId?: string;
  parentId?: string;
  tenantId?: string;
};

async function run(f: RunFixture): Promise<string> {
  const status = f.status ?? 'SUCCEEDED';
  const createdAt = new Date(Date.now() - f.ageDays * DAY);
  const active = status === 'QUEUED' || status === 'RUNNING';
  const row = await world.services.prisma.operationRun.create({
    data: {
      type: 'TENANT_VERIFICATION',
      status,
      tenantId: f.tenantId ?? ALPINE,
      dedupeKey: `retention-test:${randomUUID()}`,
      scopeClass: 'SHARED',
      createdAt,
      finishedAt: active ? null : new Date(Date.now() - (f.finishedDaysAgo ?? f.ageDays) * DAY),
      scheduleId: f.scheduleId,
      restoreRunId: f.restoreRunId,
      parentId: f.parentId,
      initiatorId: OWNER,
    },
  });
  return row.id;
}

async function notification(runId: string, ageDays: number, read: boolean): Promise<string> {
  const createdAt = new Date(Date.now() - ageDays * DAY);
  const row = await world.services.prisma.notification.create({
    data: {
      userId: OWNER,
      runId,
      title: 'Verification on Alpine succeeded',
      body: '',
      createdAt,
      readAt: read ? createdAt : null,
    },
  });
  return row.id;
}

async function schedule(lastOutcomeRunId?: string): Promise<string> {
  const row = await world.services.prisma.schedule.create({
    data: { tenantId: ALPINE, type: 'DIRECTORY_GROUPS_SYNC', cron: '0 3 * * *', lastOutcomeRunId },
  });
  return row.id;
}

const pruned = async (table: string) =>
  (await world.services.metrics.retentionPruned.get()).values.find((v) => v.labels.table === table)?.value ?? 0;

describe('retention sweep', () => {
  it('deletes the old terminal runs and read notifications nothing needs, and keeps the rest', async () => {
    const scheduleId = await schedule();
    const restore = await world.services.prisma.restoreRun.create({ data: { tenantId: ALPINE, name: 'Old baseline' } });
    const parent = await run({ ageDays: 120 });
    const doomed = {
      old: await run({ ageDays: 100 }),
      oldFailed: await run({ ageDays: 95, status: 'FAILED' }),
      oldCancelled: await run({ ageDays: 91, status: 'CANCELLED' }),
      parent,
      step1: await run({ ageDays: 120, parentId: parent }),
      step2: await run({ ageDays: 120, parentId: parent }),
      olderScheduled: await run({ ageDays: 110, scheduleId }),
      olderRestore: await run({ ageDays: 105, restoreRunId: restore.id }),
    };
    const lastOutcome = await run({ ageDays: 130 });
    await schedule(lastOutcome);
    const kept = {
      active: await run({ ageDays: 100, status: 'QUEUED' }),
      running: await run({ ageDays: 100, status: 'RUNNING' }),
      latestScheduled: await run({ ageDays: 100, scheduleId }),
      lastOutcome,
      lastRestoreExecution: await run({ ageDays: 100, restoreRunId: restore.id }),
      recent: await run({ ageDays: 10 }),
      finishedRecently: await run({ ageDays: 100, finishedDaysAgo: 10 }),
      unreadOld: await run({ ageDays: 100 }),
      withOldRead: await run({ ageDays: 40 }),
      withRecentRead: await run({ ageDays: 5 }),
      withOldUnread: await run({ ageDays: 50 }),
    };
    const notes = {
      onDoomed: await notification(doomed.oldFailed, 95, true),
      unreadOnOldRun: await notification(kept.unreadOld, 100, false),
      oldRead: await notification(kept.withOldRead, 40, true),
      recentRead: await notification(kept.withRecentRead, 5, true),
      oldUnread: await notification(kept.withOldUnread, 50, false),
    };
    const before = { runs: await pruned('OperationRun'), notifications: await pruned('Notification') };

    const result = await retention().sweep();

    // Top-level runs deleted (the steps went with their parent); read notifications past 30 days.
    expect(result).toMatchObject({ runs: 6, notifications: 2 });
    const runsLeft = new Set(
      (
        await world.services.prisma.operationRun.findMany({
          where: { id: { in: [...Object.values(doomed), ...Object.values(kept)] } },
          select: { id: true },
        })
      ).map((r) => r.id),
    );
    expect(runsLeft).toEqual(new Set(Object.values(kept)));
    const notesLeft = new Set(
      (await world.services.prisma.notification.findMany({ select: { id: true } })).map((n) => n.id),
    );
    for (const id of [notes.unreadOnOldRun, notes.recentRead, notes.oldUnread]) expect(notesLeft.has(id)).toBe(true);
    for (const id of [notes.onDoomed, notes.oldRead]) expect(notesLeft.has(id)).toBe(false);
    // The schedule still shows its last outcome; the restore run its last execution.
    expect(
      (await world.services.prisma.schedule.findFirstOrThrow({ where: { lastOutcomeRunId: lastOutcome } })).id,
    ).toBeTruthy();
    expect(await world.services.prisma.operationRun.count({ where: { restoreRunId: restore.id } })).toBe(1);
    expect(await pruned('OperationRun')).toBe(before.runs + 6);
    expect(await pruned('Notification')).toBe(before.notifications + 2);

    // A second sweep finds nothing more.
    expect(await retention().sweep()).toMatchObject({ runs: 0, notifications: 0 });
  });

  it('works in batches, and completes inside an admission on the same tenant: it needs no lock a start holds', async () => {
    const old = [];
    for (let i = 0; i < 25; i++) old.push(await run({ ageDays: 100 + i }));
    const sweeper = retention(4);
    let swept: Awaited<ReturnType<Retention['sweep']>> | null = null;
    // The sweep runs while this start holds Alpine's row lock in its admission transaction.
    insideAdmission = async () => {
      insideAdmission = null;
      swept = await sweeper.sweep();
    };
    const started = await world.services.gate.start(SYSTEM, { type: 'TENANT_VERIFICATION', tenantId: ALPINE });
    expect(started.status).toBe('QUEUED');
    // 25 runs, 4 per statement: six full batches and a last one of 1; one (empty) notification batch.
    expect(swept).toEqual({ runs: 25, notifications: 0, batches: 8 });
    expect(await world.services.prisma.operationRun.count({ where: { id: { in: old } } })).toBe(0);
    // The run the start admitted is active: never a candidate.
    const admitted = (started as { run: { id: string } }).run.id;
    expect(await world.services.prisma.operationRun.count({ where: { id: admitted } })).toBe(1);
  });

  it('while starts go on: concurrent sweeps and starts, every start answered, only history deleted', async () => {
    const old = [];
    for (let i = 0; i < 60; i++) old.push(await run({ ageDays: 100 + i }));
    const types = ['TENANT_VERIFICATION', 'DIRECTORY_GROUPS_SYNC', 'ROLE_DEFINITIONS_SYNC'] as const;
    const tenants = ['Alpine', 'Birch', 'Cedar'].map((t) => ids.tenant(t));
    const t0 = new Date();
    const [sweepA, sweepB, ...answers] = await Promise.all([
      retention(5).sweep(),
      retention(5).sweep(),
      ...tenants.flatMap((tenantId) => types.map((type) => world.services.gate.start(SYSTEM, { type, tenantId }))),
    ]);
    // Two sweeps at once (two worker processes) split the work and never delete a row twice.
    expect((sweepA as { runs: number }).runs + (sweepB as { runs: number }).runs).toBe(60);
    expect(await world.services.prisma.operationRun.count({ where: { id: { in: old } } })).toBe(0);
    for (const answer of answers)
      expect(['QUEUED', 'SCOPE_BUSY', 'ALREADY_RUNNING', 'BLOCKED']).toContain((answer as { status: string }).status);
    const queued = answers.filter((a) => (a as { status: string }).status === 'QUEUED').length;
    expect(queued).toBeGreaterThan(0);
    // Every admitted run is there (the sweeps deleted only history).
    expect(
      await world.services.prisma.operationRun.count({
        where: { status: 'QUEUED', parentId: null, createdAt: { gte: t0 } },
      }),
    ).toBe(queued);
  });
});
