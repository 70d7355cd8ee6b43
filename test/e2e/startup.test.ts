// Start-up of real processes: a backing service that cannot be used, or a bad variable, stops the
// process within seconds with one JSON fatal line naming the variable and what was tried (never
// the password); a process in a non-UTC time zone on a non-UTC database reports true timestamps.
import pg from 'pg';
import { waitFor } from '../support/wait.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAtlasUntilExit, spawnAtlas, type AtlasExit, type AtlasProcess } from '../support/processes.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
const running: AtlasProcess[] = [];

beforeAll(async () => {
  world = await createWorld();
}, 60_000);
afterAll(async () => {
  for (const p of running) await p.stop();
  await world?.close();
});

const PASSWORD = 'pa55-w0rd-never-logged';

/** Every line the process wrote is a JSON log record; the fatal one is returned. */
function fatalLine(exit: AtlasExit): Record<string, unknown> {
  const lines = `${exit.stdout}${exit.stderr}`.split('\n').filter((l) => l.trim() !== '');
  const records = lines.map((line) => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(`not a JSON log line: ${line}`);
    }
  });
  const fatal = records.filter((r) => r.level === 60);
  expect(fatal, lines.join('\n')).toHaveLength(1);
  return fatal[0];
}

function expectFailedFast(exit: AtlasExit) {
  expect(exit.code, exit.stdout + exit.stderr).toBe(1);
  expect(exit.stdout + exit.stderr).not.toContain(PASSWORD);
}

describe('start-up with an unusable backing service', () => {
  it('a REDIS_URL whose port refuses: exits 1, names REDIS_URL and the address', async () => {
    const exit = await runAtlasUntilExit(world.config, { REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:1` });
    expectFailedFast(exit);
    const fatal = fatalLine(exit);
    expect(fatal).toMatchObject({ variable: 'REDIS_URL', tried: 'redis://:***@127.0.0.1:1' });
    expect(String(fatal.msg)).toContain('REDIS_URL');
    expect(String(fatal.reason)).toContain('ECONNREFUSED');
  });

  it('a REDIS_URL whose host does not resolve: exits 1, names REDIS_URL', async () => {
    const exit = await runAtlasUntilExit(world.config, { REDIS_URL: 'redis://no-such-host.invalid:6379' });
    expectFailedFast(exit);
    expect(fatalLine(exit)).toMatchObject({ variable: 'REDIS_URL', tried: 'redis://no-such-host.invalid:6379' });
  });

  it('rediss:// really asks for TLS: against the plain shared Redis it fails instead of connecting in clear', async () => {
    const plain = new URL(world.config.REDIS_URL);
    const exit = await runAtlasUntilExit(world.config, { REDIS_URL: `rediss://${plain.host}` });
    expectFailedFast(exit);
    expect(fatalLine(exit)).toMatchObject({ variable: 'REDIS_URL', tried: `rediss://${plain.host}` });
  });

  it('a DATABASE_URL whose port refuses: exits 1, names DATABASE_URL without the password', async () => {
    const exit = await runAtlasUntilExit(world.config, {
      DATABASE_URL: `postgresql://postgres:${PASSWORD}@127.0.0.1:1/atlas_gate`,
    });
    expectFailedFast(exit);
    const fatal = fatalLine(exit);
    expect(fatal).toMatchObject({
      variable: 'DATABASE_URL',
      tried: 'postgresql://postgres:***@127.0.0.1:1/atlas_gate',
    });
    expect(String(fatal.reason)).toContain('ECONNREFUSED');
  });

  it('a DATABASE_URL whose host does not resolve: the worker role fails the same way', async () => {
    const exit = await runAtlasUntilExit(
      world.config,
      { DATABASE_URL: 'postgresql://postgres@no-such-host.invalid:5432/atlas_gate' },
      30_000,
      ['--role=worker'],
    );
    expectFailedFast(exit);
    expect(fatalLine(exit)).toMatchObject({
      variable: 'DATABASE_URL',
      tried: 'postgresql://postgres@no-such-host.invalid:5432/atlas_gate',
    });
  });

  it('an invalid variable: one JSON fatal line naming it, exit 1', async () => {
    const exit = await runAtlasUntilExit(world.config, { PORT: 'not-a-port' });
    expectFailedFast(exit);
    const fatal = fatalLine(exit);
    expect(String(fatal.msg)).toMatch(/^Invalid configuration: PORT: /);
  });

  it('control: the same world starts when its variables are right', async () => {
    const api = await spawnAtlas('api', world.config);
    running.push(api);
    // Ready once its Redis and lock clients have connected (a moment after it listens, on a busy machine).
    await waitFor(async () => (await fetch(`${api.url}/ready`)).status === 200, {
      timeoutMs: 10_000,
      what: '/ready 200',
    });
  });
});

describe('time zones', () => {
  it('a process with TZ=Asia/Tokyo on a database whose timezone is Asia/Tokyo reports true instants on every read path', async () => {
    const dbName = new URL(world.databaseUrl).pathname.slice(1);
    const sql = new pg.Client({ connectionString: world.databaseUrl });
    await sql.connect();
    try {
      await sql.query(`ALTER DATABASE "${dbName}" SET timezone TO 'Asia/Tokyo'`);
      await sql.query('SELECT 1'); // the setting applies to connections opened from now on
      const check = new pg.Client({ connectionString: world.databaseUrl });
      await check.connect();
      const zone = await check.query<{ tz: string }>(`SELECT current_setting('timezone') AS tz`);
      await check.end();
      expect(zone.rows[0].tz).toBe('Asia/Tokyo'); // the fixture is in effect

      const api = await spawnAtlas('api', world.config, { TZ: 'Asia/Tokyo' });
      running.push(api);
      const gql = async (query: string, variables: Record<string, unknown> = {}) => {
        const res = await fetch(`${api.url}/graphql`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${await world.token('owner@contoso.test')}`,
          },
          body: JSON.stringify({ query, variables }),
        });
        return ((await res.json()) as { data: any }).data;
      };

      const before = Date.now();
      const started = await gql(
        'mutation($t: ID!) { startDirectorySync(tenantId: $t, kind: GROUPS) { __typename ... on StartAccepted { run { id createdAt } } } }',
        { t: ids.tenant('Alpine') },
      );
      const after = Date.now();
      expect(started.startDirectorySync.__typename).toBe('StartAccepted');
      const { id, createdAt: answered } = started.startDirectorySync.run;

      // Through Prisma (the monitoring reads) and through plain SQL in a Tokyo session: one instant.
      const read = await gql(
        'query($id: ID!) { operationRun(id: $id) { createdAt } operationRuns(first: 1) { edges { node { id createdAt } } } }',
        { id },
      );
      const stored = await sql.query<{ ms: string }>(
        `SELECT (extract(epoch FROM "createdAt") * 1000)::bigint::text AS ms FROM "OperationRun" WHERE id = $1`,
        [id],
      );
      expect(read.operationRun.createdAt).toBe(answered);
      expect(read.operationRuns.edges[0].node).toEqual({ id, createdAt: answered });
      expect(new Date(answered).getTime()).toBe(Number(stored.rows[0].ms));
      expect(new Date(answered).getTime()).toBeGreaterThanOrEqual(before - 1_000);
      expect(new Date(answered).getTime()).toBeLessThanOrEqual(after + 1_000);

      // A timestamp written in SQL by another (Tokyo) session reads back as the same instant.
      const verified = await sql.query<{ ms: string }>(
        `UPDATE "Tenant" SET "verifiedAt" = now() WHERE id = $1 RETURNING (extract(epoch FROM "verifiedAt") * 1000)::bigint::text AS ms`,
        [ids.tenant('Alpine')],
      );
      const tenant = await gql('query($id: ID!) { tenant(id: $id) { verifiedAt } }', { id: ids.tenant('Alpine') });
      expect(new Date(tenant.tenant.verifiedAt).getTime()).toBe(Number(verified.rows[0].ms));
      expect(Math.abs(new Date(tenant.tenant.verifiedAt).getTime() - Date.now())).toBeLessThan(60_000);
    } finally {
      await sql.end();
    }
  });
});
