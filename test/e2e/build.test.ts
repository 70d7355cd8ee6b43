// The compiled build: `npm run build` into a temporary directory laid out like the container image
// (dist/, package.json, node_modules), then `node dist/src/main.js` (no tsx, no vitest alias for
// graphql's dual package) serves this test world's database: a query through Pothos and Prisma, a
// refused start logged with the caller's request id, /metrics; `--role=migrate` exits 0; and with
// NODE_ENV unset it runs as production (no /dev/token, no demo seed).
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { httpGql } from '../support/clients.js';
import { createTestDatabase } from '../support/databases.js';
import { sample, scrape } from '../support/metrics.js';
import { type AtlasProcess, spawnAtlas } from '../support/processes.js';
import { waitFor } from '../support/wait.js';
import { createWorld, ids, type World } from '../support/world.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
let world: World;
let app: string;
let api: AtlasProcess;

beforeAll(async () => {
  world = await createWorld();
  app = mkdtempSync(path.join(tmpdir(), 'atlas-build-'));
  await run('npm', ['run', 'build', '--', path.join(app, 'dist')], { cwd: ROOT });
  copyFileSync(path.join(ROOT, 'package.json'), path.join(app, 'package.json')); // "type": "module"
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(app, 'node_modules'), 'dir');
  api = await spawnAtlas('api', world.config, { LOG_LEVEL: 'debug' }, [], path.join(app, 'dist/src/main.js'));
}, 180_000);

afterAll(async () => {
  await api?.stop();
  if (app) rmSync(app, { recursive: true, force: true });
  await world?.close();
});

describe('npm run build', () => {
  it('serves queries and starts under plain node, logging with the request id', async () => {
    const owner = await world.token('owner@contoso.test');
    const answer = await httpGql(api.url, owner, '{ me { email } tenants { name providerConnections { enabled } } }');
    expect(answer.errors).toBeUndefined();
    expect(answer.data.me.email).toBe('owner@contoso.test');
    expect(answer.data.tenants.map((t: { name: string }) => t.name)).toContain('Alpine');

    const res = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${owner}`, 'x-request-id': 'build-test-1' },
      body: JSON.stringify({
        query: 'mutation ($t: ID!) { startDirectorySync(tenantId: $t) { __typename } }',
        variables: { t: ids.tenant('Birch') },
      }),
    });
    expect(res.headers.get('x-request-id')).toBe('build-test-1');
    expect(((await res.json()) as { data: any }).data.startDirectorySync.__typename).toBe('StartBlocked');

    // The refusal is logged at info, by the gate edge, with the request id it came with (the line
    // may reach us after the answer: the process writes it asynchronously).
    const refusal = await waitFor(
      () => logLines(api).find((l) => l.msg === 'start refused' && l.requestId === 'build-test-1'),
      {
        what: 'the refusal log line',
      },
    );
    expect(refusal).toMatchObject({
      level: 30,
      operation: 'DIRECTORY_GROUPS_SYNC',
      status: 'BLOCKED',
      reason: 'PROVIDER_CONNECTION_DISABLED',
      tenantId: ids.tenant('Birch'),
    });

    const text = await scrape(api.url);
    const blocked = { operation: 'DIRECTORY_GROUPS_SYNC', status: 'BLOCKED', reason: 'PROVIDER_CONNECTION_DISABLED' };
    expect(sample(text, 'atlas_gate_decisions_total', blocked)).toBe(1);
    expect(sample(text, 'process_cpu_seconds_total')).toBeGreaterThan(0); // process metrics in a real process
  });

  it('runs the one-shot migration and exits 0', async () => {
    const { stdout } = await run(process.execPath, [path.join(app, 'dist/src/main.js'), '--role=migrate'], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: world.config.DATABASE_URL, LOG_LEVEL: 'info' },
      timeout: 30_000,
    });
    expect(stdout).toContain('"msg":"applied migrations"');
  });

  it('with NODE_ENV unset and a real JWT_SECRET runs as production: no token minting, no demo seed, no GraphiQL', async () => {
    const empty = await createTestDatabase(); // migrated, no users: what a fresh production database looks like
    // NODE_ENV: undefined removes the variable from the child's environment (spawn ignores undefined values).
    const unset = { NODE_ENV: undefined as unknown as string, JWT_SECRET: 'a-real-production-secret-0123456789' };
    const prod = await spawnAtlas(
      'api',
      { ...world.config, DATABASE_URL: empty.url },
      { ...unset, DATABASE_URL: empty.url },
      [],
      path.join(app, 'dist/src/main.js'),
    );
    try {
      expect(prod.child.spawnargs.join(' ')).not.toContain('tsx');
      expect((await fetch(`${prod.url}/health`)).status).toBe(200); // positive control: it serves
      const token = await fetch(`${prod.url}/dev/token?email=owner@contoso.test`);
      expect(token.status).toBe(404);
      expect(await token.text()).not.toMatch(/token"/);
      expect((await fetch(`${prod.url}/dev/users`)).status).toBe(404);
      const client = new pg.Client({ connectionString: empty.url });
      await client.connect();
      const users = await client.query('SELECT count(*)::int AS n FROM "User"').finally(() => client.end());
      expect(users.rows[0].n).toBe(0);
      expect(logLines(prod).some((l) => String(l.msg).includes('seeded the demo data'))).toBe(false);
      expect(logLines(prod).find((l) => String(l.msg).startsWith('API listening'))).toMatchObject({ graphiql: false });
    } finally {
      await prod.stop();
      await empty.drop();
    }
  });

  it('imports no dev dependency: every package the compiled code names is a production dependency', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const allowed = new Set([...Object.keys(pkg.dependencies), ...builtinModules]);
    const named = new Set<string>();
    const files = readdirSync(path.join(app, 'dist'), { recursive: true, encoding: 'utf8' });
    for (const file of files.filter((f) => f.endsWith('.js'))) {
      const code = readFileSync(path.join(app, 'dist', file), 'utf8');
      for (const [, spec] of code.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"./][^'"]*)['"]/g)) {
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        named.add(name.replace(/^node:/, ''));
      }
    }
    expect(named.size).toBeGreaterThan(5);
    expect([...named].filter((name) => !allowed.has(name))).toEqual([]);
  });
});

/** The complete JSON log lines a process has written so far. */
function logLines(proc: AtlasProcess): Record<string, unknown>[] {
  return proc.output
    .join('')
    .split('\n')
    .flatMap((line) => {
      try {
        return line.startsWith('{') ? [JSON.parse(line)] : [];
      } catch {
        return []; // the last line may still be arriving
      }
    });
}
