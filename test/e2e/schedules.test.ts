// A schedule firing every second under two real worker processes: each due tick is one firing
// (BullMQ job schedulers: one job per tick, taken by one worker), however many workers run; a
// disable stops the firings at once. Counted on the schedule row, which every firing increments.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateSchedule, UpdateSchedule } from '../support/documents.js';
import { spawnAtlas, type AtlasProcess } from '../support/processes.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
let workers: AtlasProcess[] = [];

beforeAll(async () => {
  world = await createWorld({ SCHEDULE_MIN_INTERVAL_S: 1, SIM_LATENCY_MS: 0 });
  const env = { SCHEDULE_MIN_INTERVAL_S: '1' };
  workers = await Promise.all([spawnAtlas('worker', world.config, env), spawnAtlas('worker', world.config, env)]);
}, 90_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await world?.close();
});

const firings = async (id: string) =>
  (await world.services.prisma.schedule.findUniqueOrThrow({ where: { id } })).firings;

async function everySecond(tenant: string): Promise<{ id: string; createdAt: number }> {
  const res = await world.gql(CreateSchedule, {
    input: { tenantId: ids.tenant(tenant), type: 'TENANT_VERIFICATION', cron: '* * * * * *' },
  });
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return { id: res.data.schedule.id, createdAt: Date.now() };
}

describe('a schedule under two worker processes', () => {
  it('fires once per due tick, and not at all once a disable has returned', async () => {
    const s = await everySecond('Alpine');
    await waitFor(async () => (await firings(s.id)) >= 5, { timeoutMs: 15_000, what: 'five firings' });
    const off = await world.gql(UpdateSchedule, { id: s.id, input: { enabled: false } });
    const disabledAt = Date.now();
    expect(off.data!.schedule.enabled).toBe(false);

    // Due ticks: the whole seconds after creation up to the disable. A tick at either edge may
    // fall on either side (the scheduler's first tick, the disable's own moment), no more.
    const ticks = Math.floor(disabledAt / 1000) - Math.floor(s.createdAt / 1000);
    const fired = await firings(s.id);
    expect(Math.abs(fired - ticks)).toBeLessThanOrEqual(1);
    // Each firing made at most one run (later ones dedupe onto a still-active run, or start a new one).
    const runs = await world.services.prisma.operationRun.count({ where: { scheduleId: s.id } });
    expect(runs).toBeGreaterThanOrEqual(1);
    expect(runs).toBeLessThanOrEqual(fired);
    expect(await world.services.prisma.notification.count()).toBe(0);

    // Nothing more after the disable; a control schedule on another tenant shows firings go on.
    const control = await everySecond('Elm');
    await waitFor(async () => (await firings(control.id)) >= 2, {
      timeoutMs: 10_000,
      what: 'the control schedule to fire twice',
    });
    expect(await firings(s.id)).toBe(fired);
    await world.gql(UpdateSchedule, { id: control.id, input: { enabled: false } });

    // Both worker processes took part, or at least one did and the other stayed idle: never both on one tick.
    const firedLines = workers.map((w) => (w.output.join('').match(/"msg":"schedule fired"/g) ?? []).length);
    expect(firedLines.reduce((a, b) => a + b, 0)).toBe(fired + (await firings(control.id)));
  }, 60_000);
});
