// `npm run token` and `npm run db:seed` finish as soon as their work is done: their pg pool is
// ended, so they do not sit out its 10 s idle timeout (a newcomer waited 11 s for a token).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld, ids, type World } from '../support/world.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
// From its last line of output to its exit: the bug sat out the pool's 10 s idle timeout there.
// Measured from the output, not the start, so a slow tsx start on a busy machine does not count.
const PROMPT_MS = 5_000;

let world: World;
beforeAll(async () => {
  world = await createWorld();
});
afterAll(async () => world?.close());

async function npmRun(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string; exitAfterOutputMs: number }> {
  let lastOutputAt = Date.now();
  const child = spawn('npm', ['run', '-s', ...args], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: world.databaseUrl, JWT_SECRET: world.config.JWT_SECRET, NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    lastOutputAt = Date.now();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    lastOutputAt = Date.now();
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  return { code, stdout, stderr, exitAfterOutputMs: Date.now() - lastOutputAt };
}

describe('scripts exit when done', () => {
  it('npm run token prints a valid token for the user and exits promptly', async () => {
    const run = await npmRun(['token', '--', 'operator@contoso.test']);
    expect(run.code, run.stderr).toBe(0);
    const claims = await world.services.tokens.verify(run.stdout.trim());
    expect(claims?.userId).toBe(ids.user('operator@contoso.test'));
    expect(run.exitAfterOutputMs).toBeLessThan(PROMPT_MS);
  });

  it('npm run token for an unknown user says so, exits 1, promptly', async () => {
    const run = await npmRun(['token', '--', 'nobody@contoso.test']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('No user with email nobody@contoso.test');
    expect(run.exitAfterOutputMs).toBeLessThan(PROMPT_MS);
  });

  it('npm run db:seed reports what it did, restores the fixtures and exits promptly', async () => {
    await world.services.prisma.tenant.update({ where: { id: ids.tenant('Fir') }, data: { status: 'ACTIVE' } });
    const run = await npmRun(['db:seed']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('seeded demo data');
    expect(run.stdout).toContain('5 users, 7 tenants');
    expect(run.exitAfterOutputMs).toBeLessThan(PROMPT_MS);
    expect((await world.services.prisma.tenant.findUniqueOrThrow({ where: { id: ids.tenant('Fir') } })).status).toBe(
      'ARCHIVED',
    );
  });
});
