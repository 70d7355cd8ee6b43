// What a test run leaves outside its own processes (spawned processes, private PostgreSQL
// clusters, databases on the shared server, temp dirs) is recorded here as it is made, so the
// global teardown removes whatever a failed or crashed suite left behind. The registry is a
// directory made by globalSetup and named in ATLAS_TEST_REGISTRY, which forked test workers inherit.
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export const REGISTRY_ENV = 'ATLAS_TEST_REGISTRY';

type Entry =
  | { kind: 'pid'; pid: number; startedAt: string | null; what: string }
  | { kind: 'database'; name: string }
  | { kind: 'postgres'; data: string }
  | { kind: 'dir'; path: string };

export function createRegistry(): string {
  return mkdtempSync(path.join(tmpdir(), 'atlas-test-run-'));
}

function record(entry: Entry, registry = process.env[REGISTRY_ENV]): void {
  if (!registry) return; // a test file run outside `vitest run`'s global setup
  appendFileSync(path.join(registry, 'entries.jsonl'), `${JSON.stringify(entry)}\n`);
}

/** The process's start time in clock ticks since boot: a pid reused by another process has another. */
function startTime(pid: number): string | null {
  try {
    // Field 22 of /proc/<pid>/stat, counted after the command name's closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

export const recordProcess = (pid: number | undefined, what: string, registry?: string) => {
  if (pid) record({ kind: 'pid', pid, startedAt: startTime(pid), what }, registry);
};
export const recordDatabase = (name: string, registry?: string) => record({ kind: 'database', name }, registry);
export const recordPostgres = (data: string, registry?: string) => record({ kind: 'postgres', data }, registry);
export const recordDir = (dir: string, registry?: string) => record({ kind: 'dir', path: dir }, registry);

export type CleanUp = { killed: string[]; stoppedClusters: string[]; droppedDatabases: string[] };

/**
 * Removes what the registry names and is still there: processes (only if the pid still belongs to
 * the process recorded), private clusters' postmasters, databases, dirs; then the registry itself.
 */
export async function cleanUpRegistry(
  registry: string,
  dropDatabase: (name: string) => Promise<boolean>,
): Promise<CleanUp> {
  let lines: string[] = [];
  try {
    lines = readFileSync(path.join(registry, 'entries.jsonl'), 'utf8').split('\n').filter(Boolean);
  } catch {
    // nothing was recorded
  }
  const entries = lines.map((l) => JSON.parse(l) as Entry);
  const done: CleanUp = { killed: [], stoppedClusters: [], droppedDatabases: [] };
  for (const e of entries) {
    if (e.kind !== 'pid' || startTime(e.pid) === null || startTime(e.pid) !== e.startedAt) continue;
    try {
      process.kill(e.pid, 'SIGKILL');
      done.killed.push(`${e.what} (${e.pid})`);
      await gone(e.pid);
    } catch {
      // gone meanwhile
    }
  }
  for (const e of entries) {
    if (e.kind !== 'postgres') continue;
    let pid: number;
    try {
      pid = Number(readFileSync(path.join(e.data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      continue; // stopped by its test
    }
    try {
      process.kill(pid, 'SIGQUIT'); // immediate shutdown: the cluster is thrown away
      done.stoppedClusters.push(e.data);
      await gone(pid);
    } catch {
      // gone meanwhile
    }
  }
  for (const e of entries) {
    if (e.kind === 'database' && (await dropDatabase(e.name).catch(() => false))) done.droppedDatabases.push(e.name);
  }
  for (const e of entries) {
    if (e.kind === 'dir') rmSync(e.path, { recursive: true, force: true });
    if (e.kind === 'postgres') rmSync(path.dirname(e.data), { recursive: true, force: true });
  }
  rmSync(registry, { recursive: true, force: true });
  return done;
}

/** Polls until `pid` has exited, for at most 10 s (a postmaster ends its backends first); a bound, not a sync point. */
async function gone(pid: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await delay(50);
  }
}
