// Resumable run streams (docs/behaviour.md#resuming-a-subscription), on real PostgreSQL and Redis:
// changeIds in commit order (a higher number that commits first cannot hide a lower one), the
// replay/live handover with a change committed during the replay read, RESYNC_REQUIRED past
// REPLAY_LIMIT and a malformed cursor over graphql-ws, and the replay's visibility.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OperationRun } from '../../src/generated/prisma/client.js';
import { RUN } from '../../src/db/identifiers.js';
import { createPool } from '../../src/db/prisma.js';
import { NO_EVENTS } from '../../src/runs/events.js';
import { RunLifecycle } from '../../src/runs/lifecycle.js';
import {
  CHANGE_ORDER_LOCK,
  changeIdAfter,
  commitInChangeOrder,
  insertInChangeOrder,
  type RunInsert,
  sqlLiteral,
} from '../../src/runs/change-order.js';
import type { RunEvent, RunWithTenant } from '../../src/runs/events.js';
import { RunStreams } from '../../src/realtime/run-stream.js';
import { probeSubscriptions } from '../../src/realtime/subscription-readiness.js';
import { startServer, type ApiServer } from '../../src/server.js';
import { type Recorded, runUpdates, wsSubscribe } from '../support/clients.js';
import { StartBootstrap, StartDirectorySync } from '../support/documents.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';

const REPLAY_LIMIT = 4;
let world: World;
let api: ApiServer;
const sockets: Recorded[] = [];
const clients: pg.Client[] = [];

beforeAll(async () => {
  world = await createWorld({ REPLAY_LIMIT });
  api = await startServer(world.services, 0, '127.0.0.1');
});
afterAll(async () => {
  for (const s of sockets) await s.client.dispose();
  for (const c of clients) await c.end().catch(() => undefined);
  await api?.close();
  await world?.close();
});
beforeEach(() => world.reset());

const OWNER = 'owner@contoso.test';
const CONTOSO = ids.workspace('Contoso MSP');
const viewerOf = async (email: string) => (await world.services.auth.current(ids.user(email)))!;

async function connect(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: world.databaseUrl });
  await client.connect();
  clients.push(client);
  return client;
}

/** A QUEUED run (no worker runs here, so it stays active until the test moves it). */
async function queuedSync(tenant: string, kind: 'GROUPS' | 'ROLE_DEFINITIONS' = 'GROUPS'): Promise<OperationRun> {
  const res: any = await world.gql(StartDirectorySync, { tenantId: ids.tenant(tenant), kind }, OWNER);
  const id = res.data.result.run?.id as string;
  if (res.data.result.__typename !== 'StartAccepted') throw new Error(`${tenant}: ${JSON.stringify(res.data.result)}`);
  return world.services.prisma.operationRun.findUniqueOrThrow({ where: { id } });
}

/** A new ended run of `tenant` as an admission would insert it (ended: no dedupe key to collide with). */
const endedRunInsert = (tenant: string, id = randomUUID()): RunInsert => ({
  columns: ['id', 'type', 'tenantId', 'dedupeKey', 'scopeClass', 'status'],
  values: [id, 'TENANT_VERIFICATION', ids.tenant(tenant), `test:${id}`, 'SHARED', 'SUCCEEDED'].map(sqlLiteral),
});

const backendPid = async (client: pg.Client): Promise<number> =>
  (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;

/** Until the backend `pid` waits for a lock (here: the change-order lock another transaction holds). */
const waitingForLock = (pid: number, what: string) =>
  waitFor(
    async () =>
      (
        await world.services.prisma.$queryRawUnsafe<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ${pid} AND wait_event_type = 'Lock'`,
        )
      )[0].n === 1,
    { what },
  );

const changeOf = async (id: string) =>
  String((await world.services.prisma.operationRun.findUniqueOrThrow({ where: { id } })).changeId);

describe('changeIds follow commit order', () => {
  it('a bare sequence would not: the higher number commits first and resuming from it misses the lower (control)', async () => {
    const [a, b] = [await queuedSync('Alpine'), await queuedSync('Alpine', 'ROLE_DEFINITIONS')];
    const [t1, t2] = [await connect(), await connect()];
    const bare = `UPDATE ${RUN.t} SET ${RUN.c('changeId')} = nextval(pg_get_serial_sequence('${RUN.t}', 'changeId')) WHERE id = $1 RETURNING ${RUN.c('changeId')}::text AS c`;
    await t1.query('BEGIN');
    const lower = (await t1.query(bare, [a.id])).rows[0].c as string;
    await t2.query('BEGIN');
    const higher = (await t2.query(bare, [b.id])).rows[0].c as string;
    await t2.query('COMMIT');
    expect(changeIdAfter(higher, lower)).toBe(true);
    // A reader now holds `higher`, the newest change it can see; then the lower one commits.
    await t1.query('COMMIT');
    const afterHigher = await world.services.prisma.operationRun.findMany({
      where: { changeId: { gt: BigInt(higher) } },
    });
    expect(afterHigher.map((r) => r.id)).not.toContain(a.id); // lost for a client resuming from `higher`
  });

  it('commitInChangeOrder: the transaction that commits first gets the lower number, whoever changed first', async () => {
    const [a, b] = [await queuedSync('Alpine'), await queuedSync('Alpine', 'ROLE_DEFINITIONS')];
    const [t1, t2] = [await connect(), await connect()];
    // T1 changes first, T2 second; T2 reaches its commit first and holds the ordering lock there.
    await t1.query('BEGIN');
    await t1.query(`UPDATE ${RUN.t} SET ${RUN.c('total')} = 7 WHERE id = $1`, [a.id]);
    await t2.query('BEGIN');
    await t2.query(`UPDATE ${RUN.t} SET ${RUN.c('total')} = 8 WHERE id = $1`, [b.id]);
    await t2.query(`SELECT pg_advisory_xact_lock(${CHANGE_ORDER_LOCK})`);
    const t1Pid = await backendPid(t1);
    const t1Commit = commitInChangeOrder(t1, [a.id]);
    // T1 is now waiting for the lock, its change not yet numbered.
    await waitingForLock(t1Pid, 'T1 to wait for the change-order lock');
    const [stampedB] = await commitInChangeOrder(t2, [b.id]);
    const [stampedA] = await t1Commit;
    expect(changeIdAfter(String(stampedA.changeId), String(stampedB.changeId))).toBe(true);
    expect(stampedA.total).toBe(7); // the stamp returned the committed row
  });

  it('insertInChangeOrder: a run inserted while another commit holds the lock is numbered after it', async () => {
    const b = await queuedSync('Alpine');
    const [t1, t2] = [await connect(), await connect()];
    await t2.query('BEGIN');
    await t2.query(`UPDATE ${RUN.t} SET ${RUN.c('total')} = 8 WHERE id = $1`, [b.id]);
    await t2.query(`SELECT pg_advisory_xact_lock(${CHANGE_ORDER_LOCK})`);
    const t1Pid = await backendPid(t1);
    const inserting = insertInChangeOrder(t1, [endedRunInsert('Alpine'), endedRunInsert('Birch')], ['BEGIN']);
    await waitingForLock(t1Pid, 'the insert to wait for the change-order lock');
    const [stampedB] = await commitInChangeOrder(t2, [b.id]);
    const [first, second] = await inserting;
    // Numbered after the commit that held the lock, in the order given; each written once.
    expect(changeIdAfter(String(first.changeId), String(stampedB.changeId))).toBe(true);
    expect(changeIdAfter(String(second.changeId), String(first.changeId))).toBe(true);
    expect((first as RunWithTenant).tenantAtChange?.id).toBe(ids.tenant('Alpine'));
    const { rows } = await t1.query(`SELECT ${RUN.c('changeId')}::text AS c FROM ${RUN.t} WHERE id = $1`, [first.id]);
    expect(rows[0].c).toBe(String(first.changeId));
  });

  it('under concurrent writers, no change ever appears below a changeId a reader has already seen', async () => {
    // Four runs, a writer each: two queued syncs and the runs two blocked starts recorded.
    const queued = [await queuedSync('Alpine'), await queuedSync('Alpine', 'ROLE_DEFINITIONS')];
    for (const tenant of ['Birch', 'Dune'])
      await world.gql(StartDirectorySync, { tenantId: ids.tenant(tenant) }, OWNER);
    const blocked = await world.services.prisma.operationRun.findMany({
      where: { tenantId: { in: [ids.tenant('Birch'), ids.tenant('Dune')] }, status: 'BLOCKED' },
    });
    const runs = [...queued, ...blocked];
    expect(runs).toHaveLength(4);
    const writers = await Promise.all(runs.map(() => connect()));
    const reader = await connect();
    let done = false;
    let observations = 0;
    const violations: string[] = [];
    const reading = (async () => {
      let seen = new Set<string>();
      let horizon = '0';
      while (!done) {
        const { rows } = await reader.query<{ c: string }>(`SELECT ${RUN.c('changeId')}::text AS c FROM ${RUN.t}`);
        const now = new Set(rows.map((r) => r.c));
        // Every number at or below the previous horizon visible now was visible then.
        for (const c of now) if (!changeIdAfter(c, horizon) && !seen.has(c)) violations.push(`${c} <= ${horizon}`);
        horizon = rows.reduce((max, r) => (changeIdAfter(r.c, max) ? r.c : max), '0');
        seen = now;
        observations++;
      }
    })();
    // Rounds: all four transactions have made their change before any of them commits, then all
    // four commit at once, in whatever order they reach the change-order lock.
    // Two more writers insert a new run each round (as an admission does), numbered as inserted.
    const inserters = [await connect(), await connect()];
    for (let n = 0; n < 40; n++) {
      await Promise.all(
        writers.map(async (tx, i) => {
          await tx.query('BEGIN');
          await tx.query(`UPDATE ${RUN.t} SET ${RUN.c('total')} = $2 WHERE id = $1`, [runs[i].id, n]);
        }),
      );
      await Promise.all([
        ...writers.map((tx, i) => commitInChangeOrder(tx, [runs[i].id])),
        ...inserters.map((tx, i) => insertInChangeOrder(tx, [endedRunInsert(i ? 'Birch' : 'Dune')], ['BEGIN'])),
      ]);
    }
    done = true;
    await reading;
    expect(violations).toEqual([]);
    expect(observations).toBeGreaterThan(20);
  });
});

describe('the commit stamp and row locks', () => {
  it("racepoint: a step's transition commits while its bootstrap's end holds the bootstrap (no deadlock)", async () => {
    // The step's stamp updates a row its own transaction wrote, so PostgreSQL re-checks the step's
    // foreign key to its parent (FOR KEY SHARE): with the parent locked FOR UPDATE that would wait,
    // and the family's end, waiting for the step next, would deadlock with it.
    const res: any = await world.gql(StartBootstrap, { tenantId: ids.tenant('Elm') }, OWNER);
    const parentId = res.data.result.run.id as string;
    const [step] = await world.services.prisma.operationRun.findMany({ where: { parentId }, orderBy: { step: 'asc' } });
    const pool = createPool(world.databaseUrl, 2);
    let held!: () => void;
    const holding = new Promise<void>((resolve) => (held = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const ending = new RunLifecycle(pool, NO_EVENTS, 'http://console.test', world.services.log, {
      afterLock: async (runId) => {
        if (runId !== parentId) return;
        held();
        await released;
      },
    });
    try {
      const end = ending.finish(parentId, { status: 'FAILED', reason: { code: 'INTERNAL_ERROR' } });
      await holding; // the bootstrap's end holds the bootstrap and is about to take its steps
      const running = await world.services.lifecycle.markRunning(step.id);
      expect(running?.status).toBe('RUNNING'); // committed while the parent is held
      release();
      await end;
      const family = await world.services.prisma.operationRun.findMany({
        where: { OR: [{ id: parentId }, { parentId }] },
      });
      expect(family.every((r) => r.status === 'FAILED' || r.status === 'CANCELLED')).toBe(true);
    } finally {
      release();
      await pool.end();
    }
  });
});

describe('resume: replay, then live', () => {
  /** Everything a stream delivers, in order. */
  function drain(stream: AsyncIterable<OperationRun>) {
    const got: OperationRun[] = [];
    const iterator = stream[Symbol.asyncIterator]();
    void (async () => {
      for (let step = await iterator.next(); !step.done; step = await iterator.next()) got.push(step.value);
    })();
    return { got, stop: () => iterator.return?.() };
  }

  it('racepoint: a change committed during the replay read is delivered once, as the replayed state, and live continues', async () => {
    const x = await queuedSync('Alpine');
    const after = String(x.changeId); // the client saw X created
    const y = await queuedSync('Alpine', 'ROLE_DEFINITIONS');
    // A separate listener proves the racing change was also heard live by this process.
    const heard: RunEvent[] = [];
    const probe = world.services.bus.runEvents([CONTOSO])[Symbol.asyncIterator]();
    const { started, live } = probeSubscriptions(() => probe.next());
    void (async () => {
      for (let step = await started; !step.done; step = await probe.next()) heard.push(step.value);
    })();
    await live;

    const streams = new RunStreams(world.services.prisma, world.services.bus, world.services.auth, 500, {
      beforeReplayRead: async () => {
        await world.services.lifecycle.markRunning(x.id); // committed after listening, before the read
        await waitFor(() => heard.some((e) => e.run.id === x.id && e.run.status === 'RUNNING'), {
          what: 'the racing change to be heard live',
        });
      },
    });
    const stream = drain(await streams.open(await viewerOf(OWNER), { tenantId: null, runId: null }, after));
    await waitFor(() => stream.got.length >= 2, { what: 'the replay' });
    await world.services.lifecycle.finish(x.id, { status: 'SUCCEEDED' });
    await waitFor(() => stream.got.length >= 3, { what: 'the live change after the replay' });
    // One more live change, on another run, so nothing still in flight is mistaken for "nothing came".
    await world.services.lifecycle.markRunning(y.id);
    await waitFor(() => stream.got.some((r) => r.id === y.id && r.status === 'RUNNING'), { what: 'the last change' });
    await stream.stop();
    await probe.return?.();

    expect(stream.got.map((r) => [r.id, r.status])).toEqual([
      [y.id, 'QUEUED'], // replayed, oldest change first
      [x.id, 'RUNNING'], // replayed; its live event was dropped
      [x.id, 'SUCCEEDED'], // live
      [y.id, 'RUNNING'], // live
    ]);
    for (const id of [x.id, y.id]) {
      const changes = stream.got.filter((r) => r.id === id).map((r) => String(r.changeId));
      for (let i = 1; i < changes.length; i++) expect(changeIdAfter(changes[i], changes[i - 1])).toBe(true);
    }
    expect(String(stream.got.at(-1)!.changeId)).toBe(await changeOf(y.id));
  });

  it('without a change since the cursor, replays nothing and is live', async () => {
    const x = await queuedSync('Alpine');
    const streams = new RunStreams(world.services.prisma, world.services.bus, world.services.auth, 500);
    const stream = drain(
      await streams.open(await viewerOf(OWNER), { tenantId: ids.tenant('Alpine'), runId: null }, await changeOf(x.id)),
    );
    await world.services.lifecycle.markRunning(x.id);
    await waitFor(() => stream.got.length >= 1, { what: 'the live change' });
    await stream.stop();
    expect(stream.got.map((r) => r.status)).toEqual(['RUNNING']);
  });
});

describe('operationRunUpdated(after:) over graphql-ws', () => {
  const QUERY = `subscription($after: ID, $tenantId: ID) { operationRunUpdated(after: $after, tenantId: $tenantId) { id status changeId } }`;
  const port = () => Number(new URL(api.url).port);
  const subscribe = async (as: string, variables: Record<string, unknown>, ack = true) => {
    const sub = wsSubscribe(port(), await world.token(as), QUERY, variables, 0, { ack });
    sockets.push(sub);
    return sub;
  };
  const errorCodes = (sub: Recorded) => [
    ...sub.events.flatMap((e) => (e.errors ?? []).map((x: any) => x.extensions?.code)),
    ...(sub.errors as any[]).flatMap((e) => (Array.isArray(e) ? e.map((x) => x.extensions?.code) : [])),
  ];

  it('replays the newest state of each visible run changed since the cursor, then continues live', async () => {
    const before = await queuedSync('Alpine');
    const x = await queuedSync('Alpine', 'ROLE_DEFINITIONS');
    await world.services.lifecycle.markRunning(x.id);
    const zephyr = await world.gql(StartDirectorySync, { tenantId: ids.tenant('Zephyr') }, 'outsider@other.test');
    expect((zephyr as any).data.result.__typename).toBe('StartAccepted'); // control: it exists
    const sub = await subscribe(OWNER, { after: String(before.changeId) });
    await sub.live;
    await world.services.lifecycle.finish(before.id, { status: 'FAILED' });
    await waitFor(() => runUpdates(sub.events).length >= 2, { what: 'replay and live' });
    expect(runUpdates(sub.events).map((r) => [r.id, r.status])).toEqual([
      [x.id, 'RUNNING'], // its two changes arrive as its newest state; Zephyr's run is another workspace's
      [before.id, 'FAILED'],
    ]);
    expect(runUpdates(sub.events)[1].changeId).toBe(await changeOf(before.id));
  });

  it(`ends with RESYNC_REQUIRED when more than REPLAY_LIMIT (${REPLAY_LIMIT}) runs would be replayed`, async () => {
    const first = await queuedSync('Alpine');
    const roles = await queuedSync('Alpine', 'ROLE_DEFINITIONS');
    for (const tenant of ['Birch', 'Dune', 'Elm', 'Cedar']) await queuedSync(tenant).catch(() => undefined); // blocked ones are runs too
    const changed = await world.services.prisma.operationRun.count({ where: { changeId: { gt: first.changeId } } });
    expect(changed).toBeGreaterThanOrEqual(REPLAY_LIMIT); // with `first` itself: more than the limit from just before it
    const sub = await subscribe(OWNER, { after: String(first.changeId - 1n) }, false);
    await waitFor(() => sub.completed || sub.errors.length > 0, { what: 'the subscription to end' });
    expect(errorCodes(sub)).toEqual(['RESYNC_REQUIRED']);
    // The same cursor within the limit (one tenant) is fine: the client narrows or re-reads, then resumes.
    const narrowed = await subscribe(OWNER, { after: String(first.changeId - 1n), tenantId: ids.tenant('Alpine') });
    await narrowed.live;
    await waitFor(() => runUpdates(narrowed.events).length === 2, { what: 'the narrowed replay' });
    expect(runUpdates(narrowed.events).map((r) => r.id)).toEqual([first.id, roles.id]);
  });

  it('a malformed cursor is BAD_USER_INPUT; a well-formed one that no run holds is a position', async () => {
    for (const after of ['abc', '-1', '1.5', '99999999999999999999', '', '007']) {
      const sub = await subscribe(OWNER, { after }, false);
      await waitFor(() => sub.completed || sub.errors.length > 0, { what: `the answer to after=${after}` });
      expect(errorCodes(sub), after).toEqual(['BAD_USER_INPUT']);
    }
    // A position no run holds any more (X moved on from it) is still a position.
    const x = await queuedSync('Alpine');
    const held = String(x.changeId);
    await world.services.lifecycle.markRunning(x.id);
    const sub = await subscribe(OWNER, { after: held });
    await sub.live;
    await waitFor(() => runUpdates(sub.events).length >= 1, { what: 'the replay' });
    expect(runUpdates(sub.events).map((r) => [r.id, r.status])).toEqual([[x.id, 'RUNNING']]);
  });
});
