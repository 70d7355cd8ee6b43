// Issue 19: how many schedules a tenant and a workspace may have (SCHEDULE_MAX_PER_TENANT,
// SCHEDULE_MAX_PER_WORKSPACE), exact under concurrent creates, and the per-user budget of schedule
// changes (RATE_LIMIT_SCHEDULE_CHANGES per RATE_LIMIT_SCHEDULE_WINDOW_S), shared through Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateSchedule, DeleteSchedule, UpdateSchedule } from '../support/documents.js';
import { createWorld, ids, type World } from '../support/world.js';

let limited: World;
let throttled: World;

beforeAll(async () => {
  [limited, throttled] = await Promise.all([
    createWorld({ SCHEDULE_MAX_PER_TENANT: 3, SCHEDULE_MAX_PER_WORKSPACE: 5 }),
    createWorld({ RATE_LIMIT_SCHEDULE_CHANGES: 3, RATE_LIMIT_SCHEDULE_WINDOW_S: 60 }),
  ]);
});
afterAll(async () => {
  await limited?.close();
  await throttled?.close();
});

type Answer = {
  data?: { schedule: { id: string } } | null;
  errors?: readonly { message: string; extensions?: Record<string, unknown> }[];
};
const outcome = (res: Answer) =>
  res.data?.schedule ? 'created' : `${res.errors?.[0]?.extensions?.code}: ${res.errors?.[0]?.message}`;
const tally = (answers: Answer[]) =>
  answers.map(outcome).reduce<Record<string, number>>((acc, o) => {
    acc[o] = (acc[o] ?? 0) + 1;
    return acc;
  }, {});

const createOn = (world: World, tenant: string, as = 'owner@contoso.test') =>
  world.gql(
    CreateSchedule,
    { input: { tenantId: ids.tenant(tenant), type: 'TENANT_VERIFICATION', cron: '0 4 * * *' } },
    as,
  );

describe('count limits', () => {
  it('a tenant and a workspace take schedules up to their limit, exactly, however many creates race', async () => {
    // Alpine already has the seeded nightly schedule (disabled schedules count too): 2 more fit.
    const alpine = await Promise.all(Array.from({ length: 8 }, () => createOn(limited, 'Alpine')));
    expect(tally(alpine)).toEqual({
      created: 2,
      'BAD_USER_INPUT: Alpine already has 3 schedules, the most a tenant may have (SCHEDULE_MAX_PER_TENANT = 3): delete one first': 6,
    });
    // The workspace holds 3 now; its limit is 5, so Elm (below its own tenant limit) gets 2.
    const elm = await Promise.all(Array.from({ length: 8 }, () => createOn(limited, 'Elm')));
    expect(tally(elm)).toEqual({
      created: 2,
      'BAD_USER_INPUT: This workspace already has 5 schedules, the most a workspace may have (SCHEDULE_MAX_PER_WORKSPACE = 5): delete one first': 6,
    });
    const contoso = { tenant: { workspaceId: ids.workspace('Contoso MSP') }, deletedAt: null };
    expect(await limited.services.prisma.schedule.count({ where: contoso })).toBe(5);
    expect(await limited.services.scheduleTriggers.ids()).toHaveLength(4);

    // Another workspace is not affected; a deleted schedule makes room.
    expect(outcome(await createOn(limited, 'Zephyr', 'outsider@other.test'))).toBe('created');
    const oneOfAlpine = alpine.find((r) => r.data?.schedule)!.data!.schedule.id;
    expect((await limited.gql(DeleteSchedule, { id: oneOfAlpine })).data).toEqual({ deleted: oneOfAlpine });
    expect(outcome(await createOn(limited, 'Elm'))).toBe('created');
    expect(await limited.services.prisma.schedule.count({ where: contoso })).toBe(5);
  });
});

describe('schedule changes are rate limited per user', () => {
  it('past RATE_LIMIT_SCHEDULE_CHANGES in the window: RATE_LIMITED with a retry hint, nothing changed; other users unaffected', async () => {
    const made = await createOn(throttled, 'Alpine');
    const id = made.data!.schedule.id;
    expect((await throttled.gql(UpdateSchedule, { id, input: { cron: '0 5 * * *' } })).data?.schedule.cron).toBe(
      '0 5 * * *',
    );
    expect((await throttled.gql(DeleteSchedule, { id })).data).toEqual({ deleted: id });

    const before = await throttled.services.prisma.schedule.count();
    const refused = await createOn(throttled, 'Alpine');
    expect(refused.errors?.[0]?.extensions).toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterSeconds: expect.any(Number),
    });
    expect(refused.errors?.[0]?.message).toMatch(/^Too many schedule changes: try again in \d+ s/);
    expect(await throttled.services.prisma.schedule.count()).toBe(before);
    // Control: another user of the same workspace still has a budget.
    expect(outcome(await createOn(throttled, 'Alpine', 'manager@contoso.test'))).toBe('created');
  });
});
