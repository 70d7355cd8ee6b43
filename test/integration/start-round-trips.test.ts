// The start path's round trips, pinned (issue 23): an accepted start through GraphQL costs exactly
// this many PostgreSQL queries and Redis round trips, so a change that adds one shows up in
// `npm test`, not only in the bench. Counted at the clients: every pg query (pool and Prisma go
// through pg.Client), and every ioredis command sent on its own, a pipeline or MULTI counting once.
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { AdmissionStore } from '../../src/gate/admission-store.js';
import { createPool } from '../../src/db/prisma.js';
import { StartTenantVerification } from '../support/documents.js';
import { createTenants } from '../support/tenants.js';
import { createWorld, ids, type World } from '../support/world.js';

/**
 * What an accepted start costs, as of this commit (change it only with a reason in the commit
 * message). PostgreSQL: the target with its connections and active runs; BEGIN + tenant row lock +
 * active runs again (prepared statements); the change-order lock + INSERT (the run numbered as it
 * is inserted) + COMMIT (one batch since the INSERT's values are inlined). Redis: the rate-limit
 * budget, the scope lock, the QUEUED event, BullMQ's add, the lock's release.
 */
const PINNED = { postgres: 3, redis: 5 };
/** The answer the bench's start phases ask for: the outcome alone. */
const START = parse(
  'mutation ($tenantId: ID!) { result: startTenantVerification(tenantId: $tenantId) { __typename ... on StartOutcome { status } } }',
) as TypedDocumentNode<{ result: { __typename: string } }, { tenantId: string }>;

let world: World;
let tenants: string[];
const counted = { on: false, postgres: 0, redis: 0, pipelines: new WeakSet<object>() };

beforeAll(async () => {
  world = await createWorld();
  tenants = await createTenants(world.services.prisma, ids.workspace('Contoso MSP'), 'Counted', 5);
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    if (counted.on) counted.postgres++;
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  const sendCommand = Redis.prototype.sendCommand;
  Redis.prototype.sendCommand = function (this: Redis, command, stream, ...rest) {
    // A pipeline (and MULTI) hands each of its commands a shared writer: one round trip for all.
    if (counted.on && (!stream || !counted.pipelines.has(stream))) {
      counted.redis++;
      if (stream) counted.pipelines.add(stream);
    }
    return sendCommand.call(this, command, stream, ...rest);
  } as typeof sendCommand;
});
afterAll(async () => world?.close());

async function countedStart(tenantId: string, document: typeof START = START) {
  counted.postgres = 0;
  counted.redis = 0;
  counted.on = true;
  try {
    const res = await world.gql(document, { tenantId }, 'owner@contoso.test');
    expect(res.data?.result.__typename).toBe('StartAccepted');
  } finally {
    counted.on = false;
  }
  return { postgres: counted.postgres, redis: counted.redis };
}

describe('an accepted start', () => {
  it(`costs ${PINNED.postgres} PostgreSQL queries and ${PINNED.redis} Redis round trips`, async () => {
    await countedStart(tenants[0]); // warm: the viewer's memberships are cached after this one
    const measured = [await countedStart(tenants[1]), await countedStart(tenants[2]), await countedStart(tenants[3])];
    expect(measured).toEqual([PINNED, PINNED, PINNED]);
  });

  it('a document that selects the run and its relations pays for them on top, and nothing else', async () => {
    // StartResultFields reads the run, its connection, its initiator and its family: 4 queries.
    const withRun = await countedStart(tenants[4], StartTenantVerification as unknown as typeof START);
    expect(withRun).toEqual({ postgres: PINNED.postgres + 4, redis: PINNED.redis });
  });
});

describe("the admission transaction's prepared statements", () => {
  it('are prepared once per connection, and a batch that failed after preparing them leaves it usable', async () => {
    // One connection, so every admission here runs on it; a lock wait that gives up at once.
    const pool = createPool(world.databaseUrl, 1);
    pool.on('connect', (client) => void client.query("SET lock_timeout = '100ms'"));
    const store = new AdmissionStore(pool);
    const holder = new pg.Client({ connectionString: world.databaseUrl });
    await holder.connect();
    const admit = () =>
      store.withTenantLocked(
        tenants[0],
        async (active) => active.length,
        () => [],
      );
    try {
      // The first batch prepares the statements, then fails on the held tenant row (lock_timeout).
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM "Tenant" WHERE id = $1 FOR UPDATE', [tenants[0]]);
      await expect(admit()).rejects.toMatchObject({ code: '55P03' });
      await holder.query('ROLLBACK');
      const { rows } = await pool.query<{ name: string }>(
        "SELECT name FROM pg_prepared_statements WHERE name LIKE 'atlas_admission_%' ORDER BY name",
      );
      expect(rows.map((r) => r.name)).toEqual(['atlas_admission_active_runs', 'atlas_admission_lock_tenant']);
      // The same connection again, twice: preparing again would fail (42P05, already exists).
      expect((await admit()).admitted).toBeGreaterThanOrEqual(0);
      expect((await admit()).admitted).toBeGreaterThanOrEqual(0);
      // A migration that adds a column under the running process: the prepared and named statements
      // return JSON or named columns, never `SELECT *`, so their result types do not change (a
      // prepared `SELECT *` fails here with "cached plan must not change result type").
      expect((await store.tenantTarget(tenants[0]))?.tenant.id).toBe(tenants[0]);
      await holder.query('ALTER TABLE "OperationRun" ADD COLUMN "addedByMigration" integer');
      try {
        expect((await admit()).admitted).toBeGreaterThanOrEqual(0);
        expect((await store.tenantTarget(tenants[0]))?.tenant.id).toBe(tenants[0]);
      } finally {
        await holder.query('ALTER TABLE "OperationRun" DROP COLUMN "addedByMigration"');
      }
    } finally {
      await holder.end();
      await pool.end();
    }
  });
});
