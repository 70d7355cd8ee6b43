// Schedules (docs/behaviour.md#schedules) through GraphQL on the real Postgres, Redis and BullMQ: the
// decision order and role matrix, every validation error, the row and its job scheduler changing
// together, each firing outcome recorded, disable winning over a due firing, the start-up
// reconcile, nextRunAt across daylight saving, and no notification for a scheduled run. Issue 19:
// a rarely firing cron is validated in bounded time; a schedule whose every firing would be
// blocked is refused, or paused with its reason.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { StartRequest } from '../../src/gate/start-gate.js';
import { startWorkers } from '../../src/jobs/worker.js';
import { nextRun, shortestGapSeconds } from '../../src/schedules/cron.js';
import {
  CreateSchedule,
  DeleteSchedule,
  ScheduledRuns,
  StartRestore,
  TenantSchedules,
  UpdateSchedule,
} from '../support/documents.js';
import type { CreateScheduleInput } from '../generated/graphql.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
/** A pause inside the gate's admission, set by the test that needs one. */
let pauseAdmission: ((req: StartRequest) => Promise<void>) | null = null;

beforeAll(async () => {
  world = await createWorld(
    { RECONCILE_INTERVAL_MS: 600_000 },
    { gate: { racepoints: { beforeInsert: (req) => pauseAdmission?.(req) ?? Promise.resolve() } } },
  );
});
afterAll(async () => world?.close());
beforeEach(async () => {
  pauseAdmission = null;
  await world.reset();
});

const ALPINE = ids.tenant('Alpine');
const CEDAR = ids.tenant('Cedar');
const FIR = ids.tenant('Fir'); // archived
const now = () => new Date();
const code = (res: { errors?: readonly { extensions?: Record<string, unknown> }[] }) =>
  res.errors?.[0]?.extensions?.code;
const message = (res: { errors?: readonly { message: string }[] }) => res.errors?.[0]?.message;

async function create(input: CreateScheduleInput, as = 'owner@contoso.test') {
  return world.gql(CreateSchedule, { input }, as);
}
async function createOk(input: CreateScheduleInput) {
  const res = await create(input);
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return res.data.schedule;
}
const triggers = async () => (await world.services.scheduleTriggers.ids()).sort();

describe('who may manage schedules, and what is checked first', () => {
  it('NOT_FOUND before FORBIDDEN before BAD_USER_INPUT; OWNER and MANAGER manage, every member reads', async () => {
    const valid = { tenantId: ALPINE, type: 'DIRECTORY_GROUPS_SYNC' as const, cron: '0 3 * * *' };
    expect(code(await create(valid, null as never))).toBe('UNAUTHENTICATED');
    expect(code(await create(valid, 'outsider@other.test'))).toBe('NOT_FOUND');
    expect(code(await create({ ...valid, tenantId: 'nope' }))).toBe('NOT_FOUND');
    // A connection of another tenant is NOT_FOUND, even for a reader, and before the bad cron.
    const zephyrConnection = ids.connection('Zephyr', 'Zephyr Graph');
    expect(
      code(await create({ ...valid, cron: 'bad', providerConnectionId: zephyrConnection }, 'reader@contoso.test')),
    ).toBe('NOT_FOUND');
    expect(code(await create({ ...valid, cron: 'bad' }, 'reader@contoso.test'))).toBe('FORBIDDEN');
    expect(code(await create({ ...valid, cron: 'bad' }, 'operator@contoso.test'))).toBe('FORBIDDEN');
    expect(code(await create({ ...valid, cron: 'bad' }, 'manager@contoso.test'))).toBe('BAD_USER_INPUT');

    const made = (await create(valid, 'manager@contoso.test')).data!.schedule;
    expect(made).toMatchObject({
      type: 'DIRECTORY_GROUPS_SYNC',
      cron: '0 3 * * *',
      timezone: 'UTC',
      enabled: true,
      createdBy: { email: 'manager@contoso.test' },
      lastOutcome: null,
      firings: 0,
    });
    const read = await world.gql(TenantSchedules, { id: ALPINE }, 'reader@contoso.test');
    expect(read.data!.tenant!.schedules.map((s) => s.id)).toContain(made.id);
    expect(
      code(await world.gql(UpdateSchedule, { id: made.id, input: { enabled: false } }, 'operator@contoso.test')),
    ).toBe('FORBIDDEN');
    expect(code(await world.gql(DeleteSchedule, { id: made.id }, 'reader@contoso.test'))).toBe('FORBIDDEN');
    expect(
      code(await world.gql(UpdateSchedule, { id: made.id, input: { enabled: false } }, 'outsider@other.test')),
    ).toBe('NOT_FOUND');
    expect(code(await world.gql(DeleteSchedule, { id: made.id }, 'outsider@other.test'))).toBe('NOT_FOUND');
  });

  it.each([
    ['four fields', '0 3 * *', /expected 5 fields/],
    ['a name', '0 3 * * MON', /day of week field "MON" may use numbers/],
    ['out of range', '61 * * * *', /Invalid cron "61 \* \* \* \*"/],
    ['too often', '*/30 * * * * *', /fires every 30 s at the shortest; .* once every 60 s \(SCHEDULE_MIN_INTERVAL_S\)/],
  ])('a cron with %s is BAD_USER_INPUT saying what is wrong', async (_name, cron, says) => {
    const res = await create({ tenantId: ALPINE, type: 'DIRECTORY_GROUPS_SYNC', cron });
    expect([code(res), message(res)]).toEqual(['BAD_USER_INPUT', expect.stringMatching(says)]);
  });

  it('an unknown time zone, a type that is not schedulable, a connection check without its connection: BAD_USER_INPUT', async () => {
    const tz = await create({
      tenantId: ALPINE,
      type: 'DIRECTORY_GROUPS_SYNC',
      cron: '0 3 * * *',
      timezone: 'Mars/Olympus',
    });
    expect([code(tz), message(tz)]).toEqual([
      'BAD_USER_INPUT',
      'Unknown time zone "Mars/Olympus": use an IANA name such as "Europe/Zurich" or "UTC"',
    ]);
    for (const type of ['RESTORE_EXECUTE', 'ONBOARDING_BOOTSTRAP'] as const) {
      const res = await create({ tenantId: ALPINE, type, cron: '0 3 * * *' });
      expect([code(res), message(res)]).toEqual(['BAD_USER_INPUT', expect.stringMatching(/cannot be scheduled$/)]);
    }
    const check = await create({ tenantId: ALPINE, type: 'PROVIDER_CONNECTION_CHECK', cron: '0 3 * * *' });
    expect([code(check), message(check)]).toEqual([
      'BAD_USER_INPUT',
      'A connection check schedule needs a providerConnectionId',
    ]);
    expect(
      await world.services.prisma.schedule.count({ where: { tenantId: ALPINE, id: { not: ids.schedule('Alpine') } } }),
    ).toBe(0);
  });
});

describe('the row and its job scheduler change together', () => {
  it('create, disable, enable, re-pin, delete', async () => {
    const s = await createOk({
      tenantId: ALPINE,
      type: 'TENANT_VERIFICATION',
      cron: '15 4 * * *',
      timezone: 'Europe/Zurich',
      providerConnectionId: ids.connection('Alpine', 'Alpine Graph'),
    });
    expect(await triggers()).toEqual([s.id]);
    expect(s.nextRunAt).toBe(nextRun('15 4 * * *', 'Europe/Zurich').toISOString());

    const off = (await world.gql(UpdateSchedule, { id: s.id, input: { enabled: false } })).data!.schedule;
    expect([off.enabled, off.nextRunAt]).toEqual([false, null]);
    expect(await triggers()).toEqual([]);
    const on = (await world.gql(UpdateSchedule, { id: s.id, input: { enabled: true, cron: '0 5 * * *' } })).data!
      .schedule;
    expect([on.enabled, on.cron, on.nextRunAt]).toEqual([
      true,
      '0 5 * * *',
      nextRun('0 5 * * *', 'Europe/Zurich').toISOString(),
    ]);
    expect(await triggers()).toEqual([s.id]);
    // An explicit null removes the pin; leaving the field out keeps it.
    expect(
      (await world.gql(UpdateSchedule, { id: s.id, input: { timezone: 'UTC' } })).data!.schedule.providerConnection,
    ).not.toBeNull();
    expect(
      (await world.gql(UpdateSchedule, { id: s.id, input: { providerConnectionId: null } })).data!.schedule
        .providerConnection,
    ).toBeNull();

    expect((await world.gql(DeleteSchedule, { id: s.id })).data).toEqual({ deleted: s.id });
    expect(await triggers()).toEqual([]);
    const left = await world.gql(TenantSchedules, { id: ALPINE });
    expect(left.data!.tenant!.schedules.map((x) => x.id)).not.toContain(s.id);
    expect(code(await world.gql(UpdateSchedule, { id: s.id, input: { enabled: true } }))).toBe('NOT_FOUND');
  });

  it('a scheduler deleted from Redis behind our back is restored by the start-up reconcile; an orphan is removed', async () => {
    const s = await createOk({ tenantId: ALPINE, type: 'DIRECTORY_GROUPS_SYNC', cron: '0 6 * * *' });
    await world.services.scheduleTriggers.queue.removeJobScheduler(s.id);
    await world.services.scheduleTriggers.set({
      id: '0b7e0000-0000-4000-8000-000000000000',
      cron: '0 1 * * *',
      timezone: 'UTC',
    });
    expect(await triggers()).toEqual(['0b7e0000-0000-4000-8000-000000000000']);
    const workers = await startWorkers(world.services); // reconciles at start
    try {
      expect(await triggers()).toEqual([s.id]);
    } finally {
      await workers.close();
    }
  });
});

describe('a firing goes through the gate as a system start and records its outcome', () => {
  it('accepted, then deduped while the run is active; the runs name the schedule, even once it is deleted', async () => {
    const s = await createOk({ tenantId: ALPINE, type: 'DIRECTORY_GROUPS_SYNC', cron: '0 7 * * *' });
    const first = await world.services.schedules.fire(s.id, now());
    const second = await world.services.schedules.fire(s.id, now());
    expect([first.fired && first.status, second.fired && second.status]).toEqual(['QUEUED', 'ALREADY_RUNNING']);
    const [a, b] = [first, second].map((f) => (f.fired ? f.runId : null));
    expect(b).toBe(a);
    const read = (await world.gql(TenantSchedules, { id: ALPINE })).data!.tenant!.schedules.find((x) => x.id === s.id)!;
    expect(read).toMatchObject({
      firings: 2,
      lastOutcome: {
        status: 'ALREADY_RUNNING',
        message: 'Group sync already running',
        run: { id: a, status: 'QUEUED', initiator: null },
      },
    });

    await world.gql(DeleteSchedule, { id: s.id });
    const runs = await world.gql(ScheduledRuns, { scheduleId: s.id });
    expect(runs.data!.operationRuns.edges.map((e) => e.node)).toEqual([
      { id: a, status: 'QUEUED', type: 'DIRECTORY_GROUPS_SYNC', initiator: null, schedule: { id: s.id } },
    ]);
  });

  it('on a busy tenant: SCOPE_BUSY naming the blocking run, and nothing created', async () => {
    const restore = await world.gql(StartRestore, { restoreRunId: ids.restoreRun('Alpine') });
    if (restore.data?.result.__typename !== 'StartAccepted') throw new Error('restore not accepted');
    const s = await createOk({ tenantId: ALPINE, type: 'DIRECTORY_GROUPS_SYNC', cron: '0 8 * * *' });
    const before = await world.services.prisma.operationRun.count();
    const fired = await world.services.schedules.fire(s.id, now());
    expect(fired).toEqual({ fired: true, status: 'SCOPE_BUSY', runId: restore.data.result.run.id });
    expect(await world.services.prisma.operationRun.count()).toBe(before);
    const read = await world.services.prisma.schedule.findUniqueOrThrow({ where: { id: s.id } });
    expect([read.lastOutcomeStatus, read.lastOutcomeMessage]).toEqual([
      'SCOPE_BUSY',
      'Group sync not started: Restore is in progress on this tenant',
    ]);
  });

  it('blocked for a reason a firing can get past (consent required): a BLOCKED run each firing, not paused', async () => {
    const s = await createOk({ tenantId: ids.tenant('Dune'), type: 'ROLE_DEFINITIONS_SYNC', cron: '0 9 * * *' });
    const fired = await world.services.schedules.fire(s.id, now());
    if (!fired.fired) throw new Error('not fired');
    const run = await world.services.prisma.operationRun.findUniqueOrThrow({ where: { id: fired.runId } });
    expect([fired.status, fired.pausedFor, run.status, run.reasonCode, run.initiatorId, run.scheduleId]).toEqual([
      'BLOCKED',
      undefined,
      'BLOCKED',
      'PROVIDER_CONSENT_REQUIRED',
      null,
      s.id,
    ]);
    expect(await triggers()).toEqual([s.id]);
    const again = await world.services.schedules.fire(s.id, now());
    expect(again.fired && again.status).toBe('BLOCKED');
  });

  it('disabled or deleted: a firing already due records nothing; a stale one (missed while no worker ran) is not replayed', async () => {
    const s = await createOk({ tenantId: ALPINE, type: 'DIRECTORY_GROUPS_SYNC', cron: '0 10 * * *' });
    expect(await world.services.schedules.fire(s.id, new Date(Date.now() - 5 * 60_000))).toEqual({
      fired: false,
      why: 'stale',
    });
    await world.gql(UpdateSchedule, { id: s.id, input: { enabled: false } });
    expect(await world.services.schedules.fire(s.id, now())).toEqual({ fired: false, why: 'disabled' });
    await world.gql(DeleteSchedule, { id: s.id });
    expect(await world.services.schedules.fire(s.id, now())).toEqual({ fired: false, why: 'gone' });
    expect(await world.services.prisma.operationRun.count()).toBe(0);
    expect((await world.services.prisma.schedule.findUniqueOrThrow({ where: { id: s.id } })).firings).toBe(0);
  });

  it('a disable that arrives during a firing returns only after it: once it has returned, nothing new is recorded', async () => {
    const s = await createOk({ tenantId: ALPINE, type: 'DIRECTORY_GROUPS_SYNC', cron: '0 11 * * *' });
    let release!: () => void;
    const paused = new Promise<void>((r) => (release = r));
    let reached!: () => void;
    const atInsert = new Promise<void>((r) => (reached = r));
    pauseAdmission = async () => {
      reached();
      await paused;
    };
    const firing = world.services.schedules.fire(s.id, now());
    await atInsert; // the firing holds the schedule row and is inside the gate's admission
    const order: string[] = [];
    const disabling = world
      .gql(UpdateSchedule, { id: s.id, input: { enabled: false } })
      .then(() => order.push('disabled'));
    // The disable waits on the row lock (observed in pg_stat_activity), not on a timer.
    await waitFor(
      async () => {
        const rows = await world.services.prisma.$queryRaw<{ n: bigint }[]>`
          SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%UPDATE%"Schedule"%'`;
        return Number(rows[0].n) > 0;
      },
      { what: 'the disable to wait on the firing' },
    );
    release();
    await firing.then(() => order.push('fired'));
    await disabling;
    expect(order).toEqual(['fired', 'disabled']);
    const before = await world.services.prisma.operationRun.count();
    expect(await world.services.schedules.fire(s.id, now())).toEqual({ fired: false, why: 'disabled' });
    expect(await world.services.prisma.operationRun.count()).toBe(before);
  });

  it('a scheduled run executed by a worker notifies nobody', async () => {
    const s = await createOk({ tenantId: ALPINE, type: 'DIRECTORY_GROUPS_SYNC', cron: '0 12 * * *' });
    const workers = await startWorkers(world.services);
    try {
      const fired = await world.services.schedules.fire(s.id, now());
      if (!fired.fired) throw new Error('not fired');
      await waitFor(
        async () =>
          (await world.services.prisma.operationRun.findUniqueOrThrow({ where: { id: fired.runId } })).status ===
          'SUCCEEDED',
        { what: 'the scheduled run to succeed' },
      );
      // Control: the same worker notifies the initiator of a clicked run.
      const clicked = await world.services.gate.start(
        { userId: ids.user('owner@contoso.test'), roles: new Map([[ids.workspace('Contoso MSP'), 'OWNER']]) },
        { type: 'TENANT_VERIFICATION', tenantId: ALPINE },
      );
      if (clicked.status !== 'QUEUED') throw new Error(clicked.status);
      await waitFor(async () => (await world.services.prisma.notification.count()) === 1, {
        what: "the clicked run's notification",
      });
      expect(await world.services.prisma.notification.findMany({ select: { runId: true } })).toEqual([
        { runId: clicked.run.id },
      ]);
    } finally {
      await workers.close();
    }
  });
});

describe('a schedule whose every firing would be blocked (issue 19)', () => {
  it('is refused at create: an archived tenant, a tenant without any connection; a tenant with one is accepted', async () => {
    const archived = await create({ tenantId: FIR, type: 'DIRECTORY_GROUPS_SYNC', cron: '0 3 * * *' });
    expect([code(archived), message(archived)]).toEqual([
      'BAD_USER_INPUT',
      expect.stringMatching(/^Every firing of this schedule would be blocked: .* \(TENANT_ARCHIVED\)$/),
    ]);
    const unconnected = await create({ tenantId: CEDAR, type: 'ROLE_DEFINITIONS_SYNC', cron: '0 3 * * *' });
    expect([code(unconnected), message(unconnected)]).toEqual([
      'BAD_USER_INPUT',
      expect.stringMatching(/^Every firing of this schedule would be blocked: .* \(PROVIDER_CONNECTION_MISSING\)$/),
    ]);
    expect(await world.services.prisma.schedule.count({ where: { tenantId: { in: [FIR, CEDAR] } } })).toBe(0);
    expect(await triggers()).toEqual([]);
    // Control: the same request on a tenant with a connection.
    await createOk({ tenantId: ALPINE, type: 'ROLE_DEFINITIONS_SYNC', cron: '0 3 * * *' });
  });

  it('one that becomes so is paused by its firing: one BLOCKED run, the reason shown, then silence until an update passes the checks', async () => {
    const s = await createOk({ tenantId: ALPINE, type: 'DIRECTORY_GROUPS_SYNC', cron: '0 13 * * *' });
    await world.services.prisma.tenant.update({ where: { id: ALPINE }, data: { status: 'ARCHIVED' } });

    const fired = await world.services.schedules.fire(s.id, now());
    expect(fired).toMatchObject({ fired: true, status: 'BLOCKED', pausedFor: 'TENANT_ARCHIVED' });
    expect(await triggers()).toEqual([]);
    const read = (await world.gql(TenantSchedules, { id: ALPINE })).data!.tenant!.schedules.find((x) => x.id === s.id)!;
    expect(read).toMatchObject({
      enabled: true,
      nextRunAt: null,
      pausedReason: { code: 'TENANT_ARCHIVED', message: expect.stringMatching(/archived/i) },
      lastOutcome: { status: 'BLOCKED' },
    });
    expect(read.pausedAt).not.toBeNull();
    // Later firings (one already queued, say) record nothing; the periodic repair does not bring its trigger back.
    expect(await world.services.schedules.fire(s.id, now())).toEqual({ fired: false, why: 'paused' });
    expect(await world.services.schedules.repairTriggers()).toEqual({ restored: 0, removed: 0 });
    expect(await triggers()).toEqual([]);
    expect(await world.services.prisma.operationRun.count({ where: { scheduleId: s.id } })).toBe(1);

    // While the tenant stays archived an update that would fire is refused; once restored it resumes.
    const refused = await world.gql(UpdateSchedule, { id: s.id, input: { enabled: true } });
    expect([code(refused), message(refused)]).toEqual(['BAD_USER_INPUT', expect.stringMatching(/TENANT_ARCHIVED/)]);
    await world.services.prisma.tenant.update({ where: { id: ALPINE }, data: { status: 'ACTIVE' } });
    const resumed = (await world.gql(UpdateSchedule, { id: s.id, input: { enabled: true } })).data!.schedule;
    expect([resumed.pausedReason, resumed.pausedAt, resumed.nextRunAt]).toEqual([
      null,
      null,
      nextRun('0 13 * * *', 'UTC').toISOString(),
    ]);
    expect(await triggers()).toEqual([s.id]);
    const next = await world.services.schedules.fire(s.id, now());
    expect(next.fired && next.status).toBe('QUEUED');
  });

  it('a schedule made before the check on a tenant without a connection is paused by its first firing (PROVIDER_CONNECTION_MISSING)', async () => {
    // Rows like this exist from before issue 19: written directly, as the old create accepted them.
    const s = await world.services.prisma.schedule.create({
      data: { tenantId: CEDAR, type: 'ROLE_DEFINITIONS_SYNC', cron: '0 9 * * *', timezone: 'UTC' },
    });
    await world.services.scheduleTriggers.set(s);
    const fired = await world.services.schedules.fire(s.id, now());
    if (!fired.fired) throw new Error('not fired');
    const run = await world.services.prisma.operationRun.findUniqueOrThrow({ where: { id: fired.runId } });
    expect([fired.status, fired.pausedFor, run.status, run.reasonCode, run.initiatorId, run.scheduleId]).toEqual([
      'BLOCKED',
      'PROVIDER_CONNECTION_MISSING',
      'BLOCKED',
      'PROVIDER_CONNECTION_MISSING',
      null,
      s.id,
    ]);
    expect(await triggers()).toEqual([]);
    expect(await world.services.schedules.fire(s.id, now())).toEqual({ fired: false, why: 'paused' });
    expect(await world.services.prisma.operationRun.count({ where: { scheduleId: s.id } })).toBe(1);
  });
});

describe('a cron that fires rarely is validated in bounded time (issue 19)', () => {
  it('five leap-day schedules in America/New_York at once are accepted while the event loop keeps turning', async () => {
    // A timer records the longest time between its ticks: a validation that holds the event loop
    // (it used to iterate 600 leap days, about 5 s per mutation) shows up as a long gap.
    let longestStallMs = 0;
    let last = performance.now();
    const probe = setInterval(() => {
      const t = performance.now();
      longestStallMs = Math.max(longestStallMs, t - last);
      last = t;
    }, 10);
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        create({ tenantId: ALPINE, type: 'DIRECTORY_GROUPS_SYNC', cron: '0 0 29 2 *', timezone: 'America/New_York' }),
      ),
    );
    clearInterval(probe);
    expect(results.map((r) => r.errors ?? r.data!.schedule.nextRunAt)).toEqual(
      Array(5).fill(nextRun('0 0 29 2 *', 'America/New_York').toISOString()),
    );
    // The event loop kept turning: the old check blocked it for over 5 s per mutation (27 s for the
    // five); the bound is generous for a busy 2-core machine.
    expect(longestStallMs).toBeLessThan(5_000);
  });

  it('the shortest gap is still found when short gaps come rarely, or only across a clock change', async () => {
    // Every 30 s, on leap days only: too often, whenever the next leap day is.
    const res = await create({ tenantId: ALPINE, type: 'DIRECTORY_GROUPS_SYNC', cron: '*/30 * * 29 2 *' });
    expect([code(res), message(res)]).toEqual([
      'BAD_USER_INPUT',
      expect.stringMatching(/fires every 30 s at the shortest/),
    ]);
    // 01:59 EST and 03:00 EDT on 14 March 2027 are 60 s apart; in UTC 59 minutes is the shortest.
    const from = new Date('2027-01-01T00:00:00.000Z');
    expect(shortestGapSeconds('0,59 1,3 * * *', 'America/New_York', from)).toBe(60);
    expect(shortestGapSeconds('0,59 1,3 * * *', 'UTC', from)).toBe(59 * 60);
    expect(shortestGapSeconds('0 0 29 2 *', 'America/New_York', from)).toBeGreaterThanOrEqual(24 * 3600);
  });
});

describe('nextRunAt', () => {
  it('follows the schedule time zone across daylight saving (Europe/Zurich, last Sunday of March 2027)', () => {
    const from = new Date('2027-03-27T12:00:00.000Z');
    // 09:00 in Zurich is 08:00 UTC on Saturday (CET) and 07:00 UTC on Sunday (CEST).
    expect(nextRun('0 9 * * *', 'Europe/Zurich', new Date('2027-03-26T12:00:00.000Z')).toISOString()).toBe(
      '2027-03-27T08:00:00.000Z',
    );
    expect(nextRun('0 9 * * *', 'Europe/Zurich', from).toISOString()).toBe('2027-03-28T07:00:00.000Z');
    // 02:30 does not exist in Zurich that night: the firing moves past the gap, not to a wrong hour.
    const skipped = nextRun('30 2 * * *', 'Europe/Zurich', from);
    expect(skipped.getTime()).toBeGreaterThan(new Date('2027-03-28T00:59:59.000Z').getTime());
    expect(nextRun('30 2 * * *', 'Europe/Zurich', new Date('2027-03-28T12:00:00.000Z')).toISOString()).toBe(
      '2027-03-29T00:30:00.000Z',
    );
  });
});
