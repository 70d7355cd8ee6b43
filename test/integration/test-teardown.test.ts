// The global teardown's clean-up (test/support/registry.ts): what a test file recorded and left
// behind (a process still running, a database) is removed; what it did not record is not touched;
// and the test workers do record into the run's registry.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, uniqueName, withAdmin } from '../support/databases.js';
import { cleanUpRegistry, createRegistry, recordDatabase, recordProcess, REGISTRY_ENV } from '../support/registry.js';

const exists = async (name: string) =>
  (await withAdmin((c) => c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]))).rowCount === 1;
const drop = async (name: string) => {
  await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  return true;
};

describe('test run clean-up', () => {
  it('kills a recorded process and drops a recorded database; leaves unrecorded ones alone', async () => {
    const registry = createRegistry();
    const left = spawn('sleep', ['300'], { stdio: 'ignore' });
    const bystander = spawn('sleep', ['300'], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      left.once('exit', (_code, signal) => resolve(signal)),
    );
    recordProcess(left.pid, 'sleep', registry);
    const recorded = uniqueName('atlas_gate_teardown');
    const unrecorded = uniqueName('atlas_gate_teardown_keep');
    await withAdmin((c) => c.query(`CREATE DATABASE "${recorded}"`));
    await withAdmin((c) => c.query(`CREATE DATABASE "${unrecorded}"`));
    recordDatabase(recorded, registry);
    try {
      const done = await cleanUpRegistry(registry, drop);
      expect(await exited).toBe('SIGKILL');
      expect(done.killed).toEqual([`sleep (${left.pid})`]);
      expect(done.droppedDatabases).toEqual([recorded]);
      expect(await exists(recorded)).toBe(false);
      expect(await exists(unrecorded)).toBe(true);
      expect(bystander.exitCode).toBeNull();
      expect(bystander.signalCode).toBeNull();
    } finally {
      bystander.kill('SIGKILL');
      await drop(unrecorded);
    }
  });

  it("test workers record into the run's registry", async () => {
    const registry = process.env[REGISTRY_ENV];
    expect(registry).toBeTruthy();
    const db = await createTestDatabase();
    try {
      const entries = readFileSync(path.join(registry!, 'entries.jsonl'), 'utf8');
      expect(entries).toContain(JSON.stringify({ kind: 'database', name: db.name }));
    } finally {
      await db.drop();
    }
  });
});
