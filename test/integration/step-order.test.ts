// A bootstrap and its steps share createdAt (one insert). Listed with includeSteps they come in a
// fixed order, parent first and then its steps by number, on one page and across pages, and a
// cursor from before the order had a tie-breaker (createdAt|id) is still accepted.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { OperationRunById, OperationRuns, StartBootstrap } from '../support/documents.js';
import type { OperationRunsQuery, OperationRunsQueryVariables } from '../generated/graphql.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
beforeAll(async () => {
  world = await createWorld();
});
afterAll(async () => world?.close());

const ELM = ids.tenant('Elm');

async function listAll(first: number): Promise<string[]> {
  const seen: string[] = [];
  let after: string | null = null;
  for (let page = 0; page < 10; page++) {
    const res: Awaited<ReturnType<typeof world.gql<OperationRunsQuery, OperationRunsQueryVariables>>> = await world.gql(
      OperationRuns,
      { filter: { tenantId: ELM, includeSteps: true }, first, after },
    );
    expect(res.errors).toBeUndefined();
    seen.push(...res.data!.operationRuns.edges.map((e) => e.node.id));
    if (!res.data!.operationRuns.pageInfo.hasNextPage) return seen;
    after = res.data!.operationRuns.pageInfo.endCursor ?? null;
  }
  throw new Error('more pages than runs');
}

it('lists a bootstrap before its steps, steps by number, on every page size', async () => {
  // Several bootstraps: with ties broken by random ids, the odds of passing once by chance are 1 in 24.
  for (let round = 0; round < 4; round++) {
    await world.reset();
    const started = await world.gql(StartBootstrap, { tenantId: ELM });
    const result = started.data!.result;
    if (result.__typename !== 'StartAccepted') throw new Error(`expected StartAccepted, got ${result.__typename}`);
    const parent = (await world.gql(OperationRunById, { id: result.run.id })).data!.operationRun!;
    const steps = [...parent.children].sort((x, y) => x.step! - y.step!);
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3]);
    const expected = [parent.id, ...steps.map((s) => s.id)];

    expect(await listAll(10)).toEqual(expected);
    expect(await listAll(1)).toEqual(expected);
    expect(await listAll(3)).toEqual(expected);

    // A cursor written before the tie-breaker (createdAt|id of the parent): the steps follow.
    const legacy = Buffer.from(`${new Date(parent.createdAt as string).toISOString()}|${parent.id}`).toString(
      'base64url',
    );
    const next = await world.gql(OperationRuns, {
      filter: { tenantId: ELM, includeSteps: true },
      first: 10,
      after: legacy,
    });
    expect(next.errors).toBeUndefined();
    expect(next.data!.operationRuns.edges.map((e) => e.node.id)).toEqual(expected.slice(1));
  }
});

it('a cursor with a malformed step is BAD_USER_INPUT', async () => {
  const first = await world.gql(OperationRuns, { filter: { tenantId: ELM, includeSteps: true }, first: 1 });
  const [createdAt, id] = Buffer.from(first.data!.operationRuns.pageInfo.endCursor!, 'base64url').toString().split('|');
  const bad = Buffer.from(`${createdAt}|${id}|x1`).toString('base64url');
  const res = await world.gql(OperationRuns, { filter: { tenantId: ELM, includeSteps: true }, first: 1, after: bad });
  expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
});
