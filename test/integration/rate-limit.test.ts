import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse, print, type ExecutionResult } from 'graphql';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StartBudget } from '../../src/graphql/plugins/rate-limit.js';
import { RedisNames } from '../../src/redis/names.js';
import { createYogaApp } from '../../src/server.js';
import { MeAndTenants, StartDirectorySync } from '../support/documents.js';
import { freePort } from '../support/processes.js';
import { deleteRedisPrefix } from '../support/redis.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
beforeAll(async () => {
  world = await createWorld({ RATE_LIMIT_STARTS: 3, RATE_LIMIT_WINDOW_S: 60 });
});
afterAll(async () => world?.close());

describe('start rate limit', () => {
  it('answers RATE_LIMITED past the per-user budget, before the gate records anything', async () => {
    const tenants = ['Alpine', 'Birch', 'Cedar', 'Dune'].map((t) => ids.tenant(t));
    const results = [];
    for (const tenantId of tenants)
      results.push(await world.gql(StartDirectorySync, { tenantId }, 'operator@contoso.test'));
    expect(results.slice(0, 3).map((r) => r.data?.result.__typename)).toEqual([
      'StartAccepted',
      'StartBlocked',
      'StartBlocked',
    ]);
    const limited = results[3].errors?.[0];
    expect(limited?.extensions?.code).toBe('RATE_LIMITED');
    expect(limited?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
    expect(await world.services.prisma.operationRun.count({ where: { tenantId: tenants[3] } })).toBe(0);
  });

  it('keeps budgets per user and never limits queries', async () => {
    expect(
      (await world.gql(StartDirectorySync, { tenantId: ids.tenant('Elm') }, 'manager@contoso.test')).data?.result
        .__typename,
    ).toBe('StartAccepted');
    for (let i = 0; i < 5; i++)
      expect((await world.gql(MeAndTenants, {}, 'operator@contoso.test')).errors).toBeUndefined();
  });
});

// The budget is counted from the fields an operation executes, not from how the document is
// written, and it lives in Redis: these documents are the ones that used to get through.
const doc = (source: string) =>
  parse(source) as unknown as TypedDocumentNode<Record<string, { __typename: string } | null>, { tenantId: string }>;

const InlineFragment = doc(`
  mutation InlineFragment($tenantId: ID!) { ... on Mutation { result: startDirectorySync(tenantId: $tenantId) { __typename } } }
`);
const NamedFragment = doc(`
  mutation NamedFragment($tenantId: ID!) { ...Start }
  fragment Start on Mutation { result: startDirectorySync(tenantId: $tenantId) { __typename } }
`);
// Two starts behind aliases in nested fragments (plus one skipped, which does not execute).
const AliasedPair = doc(`
  mutation AliasedPair($tenantId: ID!, $skip: Boolean = true) { ...Pair }
  fragment Pair on Mutation {
    a: startDirectorySync(tenantId: $tenantId) { __typename }
    ... on Mutation { b: startTenantVerification(tenantId: $tenantId) { __typename } }
    c: startDirectorySync(tenantId: $tenantId) @skip(if: $skip) { __typename }
  }
`);

describe('start rate limit: fragments, aliases and several API processes', () => {
  const LIMIT = 5;
  // Cedar has no provider connection: every start is recorded as a BLOCKED run, so rows count starts.
  const CEDAR = ids.tenant('Cedar');
  let limited: World;
  const cedarRows = () => limited.services.prisma.operationRun.count({ where: { tenantId: CEDAR } });
  const code = (r: ExecutionResult<unknown>) => (r.errors ? String(r.errors[0]?.extensions?.code) : 'OK');
  const tally = (results: ExecutionResult<unknown>[]) => {
    const counts: Record<string, number> = {};
    for (const c of results.map(code)) counts[c] = (counts[c] ?? 0) + 1;
    return counts;
  };

  beforeAll(async () => {
    limited = await createWorld({ RATE_LIMIT_STARTS: LIMIT, RATE_LIMIT_WINDOW_S: 60 });
  });
  afterAll(async () => limited?.close());
  beforeEach(async () => {
    await limited.reset();
    // A fresh budget for every test: only this world's own rate-limit keys.
    await deleteRedisPrefix(limited.config, `${limited.config.REDIS_PREFIX}:ratelimit`);
  });

  it.each([
    ['an inline fragment', InlineFragment],
    ['a named fragment', NamedFragment],
  ])('counts a start wrapped in %s: exactly the limit of rows, the rest RATE_LIMITED', async (_name, document) => {
    const results = [];
    for (let i = 0; i < 12; i++) results.push(await limited.gql(document, { tenantId: CEDAR }, 'owner@contoso.test'));
    expect(results.slice(0, LIMIT).map((r) => r.data?.result?.__typename)).toEqual(Array(LIMIT).fill('StartBlocked'));
    expect(tally(results)).toEqual({ OK: LIMIT, RATE_LIMITED: 12 - LIMIT });
    const retryAfter = results[LIMIT].errors?.[0]?.extensions?.retryAfterSeconds as number;
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await cedarRows()).toBe(LIMIT);
  });

  it('counts every aliased start inside fragments, and not a skipped one', async () => {
    const single = await limited.gql(InlineFragment, { tenantId: CEDAR }, 'owner@contoso.test');
    const pairs = [];
    for (let i = 0; i < 3; i++) pairs.push(await limited.gql(AliasedPair, { tenantId: CEDAR }, 'owner@contoso.test'));
    // 1 + 2 + 2 = the limit; the third pair does not fit and runs none of its starts.
    expect([single, ...pairs].map(code)).toEqual(['OK', 'OK', 'OK', 'RATE_LIMITED']);
    expect(Object.keys(pairs[0].data ?? {}).sort()).toEqual(['a', 'b']);
    expect(await cedarRows()).toBe(LIMIT);
  });

  it('holds one budget across two API processes (separate services and Yoga apps on one Redis)', async () => {
    const other = createYogaApp(limited.spawnServices());
    const token = await limited.token('owner@contoso.test');
    const viaOther = async () => {
      const res = await other.fetch('http://atlas.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: print(InlineFragment), variables: { tenantId: CEDAR } }),
      });
      return (await res.json()) as ExecutionResult<unknown>;
    };
    // Concurrent, half through each process: the budget is spent atomically in Redis, not per process.
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        i % 2 ? viaOther() : limited.gql(InlineFragment, { tenantId: CEDAR }, 'owner@contoso.test'),
      ),
    );
    expect(tally(results)).toEqual({ OK: LIMIT, RATE_LIMITED: 16 - LIMIT });
    expect(await cedarRows()).toBe(LIMIT);
  });
});

describe('start budget while Redis is unreachable', () => {
  it('falls back to an in-memory budget of the same size instead of failing or letting everything through', async () => {
    // Nothing listens on this port: the limiter's Redis never becomes ready.
    const redis = new Redis({
      host: '127.0.0.1',
      port: await freePort(),
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
    redis.on('error', () => undefined);
    const budget = new StartBudget(redis, new RedisNames('atlas-test-unreachable'), 3, 60);
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await budget.spend('user-1', 1));
    redis.disconnect();
    expect(answers.slice(0, 3)).toEqual([null, null, null]);
    expect(answers[3]).toBeGreaterThan(0);
    expect(answers[4]).toBeGreaterThan(0);
  });
});
