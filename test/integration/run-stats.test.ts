// operationRunStats: the dashboard's numbers, checked against a seeded sequence of runs whose
// times and outcomes the test chose: buckets, totals, top reasons, in flight, visibility, filters.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationRunStatus, OperationType } from '../../src/generated/prisma/enums.js';
import { bucketStart } from '../../src/runs/stats.js';
import { OperationRunStats } from '../support/documents.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
const HOUR = 3_600_000;
type Seeded = { tenant: string; type: OperationType; status: OperationRunStatus; hoursAgo: number; reason?: string };

// Contoso's runs over the last day (and one older), and one of the other workspace's.
const RUNS: Seeded[] = [
  { tenant: 'Alpine', type: 'DIRECTORY_GROUPS_SYNC', status: 'SUCCEEDED', hoursAgo: 20 },
  { tenant: 'Alpine', type: 'DIRECTORY_GROUPS_SYNC', status: 'SUCCEEDED', hoursAgo: 20.2 },
  { tenant: 'Alpine', type: 'DIRECTORY_GROUPS_SYNC', status: 'FAILED', hoursAgo: 12, reason: 'PROVIDER_THROTTLED' },
  { tenant: 'Birch', type: 'TENANT_VERIFICATION', status: 'FAILED', hoursAgo: 6, reason: 'PROVIDER_THROTTLED' },
  { tenant: 'Birch', type: 'TENANT_VERIFICATION', status: 'FAILED', hoursAgo: 5, reason: 'PROVIDER_UNAVAILABLE' },
  { tenant: 'Cedar', type: 'DIRECTORY_GROUPS_SYNC', status: 'BLOCKED', hoursAgo: 3, reason: 'TENANT_ARCHIVED' },
  { tenant: 'Cedar', type: 'DIRECTORY_GROUPS_SYNC', status: 'BLOCKED', hoursAgo: 2, reason: 'TENANT_ARCHIVED' },
  { tenant: 'Cedar', type: 'TENANT_VERIFICATION', status: 'BLOCKED', hoursAgo: 2.5, reason: 'TENANT_ARCHIVED' },
  { tenant: 'Alpine', type: 'ROLE_DEFINITIONS_SYNC', status: 'PARTIALLY_SUCCEEDED', hoursAgo: 1 },
  { tenant: 'Alpine', type: 'TENANT_VERIFICATION', status: 'RUNNING', hoursAgo: 0.2 },
  { tenant: 'Birch', type: 'DIRECTORY_GROUPS_SYNC', status: 'QUEUED', hoursAgo: 0.1 },
  { tenant: 'Elm', type: 'DIRECTORY_GROUPS_SYNC', status: 'RUNNING', hoursAgo: 30 },
  { tenant: 'Alpine', type: 'DIRECTORY_GROUPS_SYNC', status: 'SUCCEEDED', hoursAgo: 40 },
  { tenant: 'Zephyr', type: 'DIRECTORY_GROUPS_SYNC', status: 'FAILED', hoursAgo: 4, reason: 'PROVIDER_THROTTLED' },
];
let now: number;
const createdAt = (r: Seeded) => new Date(now - r.hoursAgo * HOUR);

beforeAll(async () => {
  world = await createWorld();
  now = Date.now();
  await world.services.prisma.operationRun.createMany({
    data: RUNS.map((r) => ({
      type: r.type,
      status: r.status,
      tenantId: ids.tenant(r.tenant),
      dedupeKey: `stats:${randomUUID()}`,
      scopeClass: 'SHARED' as const,
      reasonCode: r.reason ?? null,
      reasonMessage: r.reason ? `${r.reason.toLowerCase()} (${r.hoursAgo} h ago)` : null,
      createdAt: createdAt(r),
    })),
  });
});
afterAll(async () => world?.close());

/** What the answer should say, computed from RUNS as a person would count them. */
function expected(runs: Seeded[], since: Date, bucket: 'HOUR' | 'DAY') {
  const inWindow = runs.filter((r) => createdAt(r) >= since);
  const perBucket = new Map<number, Map<string, number>>();
  for (const r of inWindow) {
    const key = bucketStart(createdAt(r), bucket).getTime();
    const counts = perBucket.get(key) ?? new Map<string, number>();
    counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
    perBucket.set(key, counts);
  }
  return perBucket;
}

const contoso = RUNS.filter((r) => r.tenant !== 'Zephyr');

describe('operationRunStats', () => {
  it('counts the last 24 hours per hour and status, with every hour present', async () => {
    const res = await world.gql(OperationRunStats, {});
    expect(res.errors).toBeUndefined();
    const stats = res.data!.operationRunStats;
    expect(stats.bucket).toBe('HOUR');
    expect(stats.buckets).toHaveLength(24);
    const since = new Date(stats.since);
    expect(since.getTime()).toBe(bucketStart(new Date(now - 23 * HOUR), 'HOUR').getTime());
    const want = expected(contoso, since, 'HOUR');
    for (const b of stats.buckets) {
      const counts = want.get(new Date(b.start).getTime()) ?? new Map();
      expect(Object.fromEntries(b.counts.map((c) => [c.status, c.count]))).toEqual(Object.fromEntries(counts));
      expect(b.total).toBe([...counts.values()].reduce((a, n) => a + n, 0));
    }
    // Eleven Contoso runs within 24 h (not the 30 h and 40 h old ones, not Zephyr's).
    expect(stats.buckets.reduce((a, b) => a + b.total, 0)).toBe(11);
    expect(Object.fromEntries(stats.totals.map((t) => [t.status, t.count]))).toEqual({
      SUCCEEDED: 2,
      FAILED: 3,
      BLOCKED: 3,
      PARTIALLY_SUCCEEDED: 1,
      RUNNING: 1,
      QUEUED: 1,
    });
  });

  it('lists the top failure and block reasons with the latest message, and what is in flight by type', async () => {
    const stats = (await world.gql(OperationRunStats, {})).data!.operationRunStats;
    expect(stats.topReasons).toEqual([
      { status: 'BLOCKED', code: 'TENANT_ARCHIVED', message: 'Tenant_archived (2 h ago)', count: 3 },
      { status: 'FAILED', code: 'PROVIDER_THROTTLED', message: 'Provider_throttled (6 h ago)', count: 2 },
      { status: 'FAILED', code: 'PROVIDER_UNAVAILABLE', message: 'Provider_unavailable (5 h ago)', count: 1 },
    ]);
    // In flight counts every active run, however old (Elm's has run for 30 h).
    expect(stats.inFlight).toEqual([
      { type: 'DIRECTORY_GROUPS_SYNC', label: 'Group sync', count: 2 },
      { type: 'TENANT_VERIFICATION', label: 'Tenant verification', count: 1 },
    ]);
  });

  it('narrows to one tenant and to types', async () => {
    const alpine = (await world.gql(OperationRunStats, { filter: { tenantId: ids.tenant('Alpine') } })).data!
      .operationRunStats;
    expect(Object.fromEntries(alpine.totals.map((t) => [t.status, t.count]))).toEqual({
      SUCCEEDED: 2,
      FAILED: 1,
      PARTIALLY_SUCCEEDED: 1,
      RUNNING: 1,
    });
    expect(alpine.inFlight).toEqual([{ type: 'TENANT_VERIFICATION', label: 'Tenant verification', count: 1 }]);
    const verifications = (await world.gql(OperationRunStats, { filter: { type: ['TENANT_VERIFICATION'] } })).data!
      .operationRunStats;
    expect(verifications.buckets.reduce((a, b) => a + b.total, 0)).toBe(4);
    expect(verifications.topReasons.map((r) => [r.code, r.count])).toEqual([
      ['PROVIDER_THROTTLED', 1],
      ['PROVIDER_UNAVAILABLE', 1],
      ['TENANT_ARCHIVED', 1],
    ]);
  });

  it('counts per day back to since', async () => {
    const since = new Date(now - 3 * 24 * HOUR).toISOString();
    const stats = (await world.gql(OperationRunStats, { since, bucket: 'DAY' })).data!.operationRunStats;
    expect(stats.buckets).toHaveLength(4);
    const want = expected(contoso, new Date(stats.since), 'DAY');
    for (const b of stats.buckets) {
      const counts = want.get(new Date(b.start).getTime()) ?? new Map();
      expect(b.total).toBe([...counts.values()].reduce((a, n) => a + n, 0));
    }
    expect(stats.buckets.reduce((a, b) => a + b.total, 0)).toBe(13);
  });

  it('shows each workspace only its own runs, and nothing to a stranger', async () => {
    const other = (await world.gql(OperationRunStats, {}, 'outsider@other.test')).data!.operationRunStats;
    expect(other.totals).toEqual([{ status: 'FAILED', count: 1 }]);
    expect(other.inFlight).toEqual([]);
    // Contoso's tenant named by the other workspace: nothing, not an error.
    const peek = (
      await world.gql(OperationRunStats, { filter: { tenantId: ids.tenant('Alpine') } }, 'outsider@other.test')
    ).data!.operationRunStats;
    expect(peek.totals).toEqual([]);
    expect(peek.topReasons).toEqual([]);
    const anonymous = await world.gql(OperationRunStats, {}, null);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a window too long for its bucket and a future since', async () => {
    const tooLong = await world.gql(OperationRunStats, { since: new Date(now - 8 * 24 * HOUR).toISOString() });
    expect(tooLong.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(tooLong.errors?.[0]?.message).toMatch(/at most 168 buckets of HOUR/);
    const future = await world.gql(OperationRunStats, { since: new Date(now + 2 * HOUR).toISOString() });
    expect(future.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
