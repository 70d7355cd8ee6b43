// Private Redis and PostgreSQL servers for tests that stop and restart them. The shared ones on
// 6379 and 5432 are never touched: each private server lives on a free port (PostgreSQL in a
// throwaway cluster under a temp dir) and is stopped by its own pid.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createServer } from 'node:net';
import { freePort } from './processes.js';
import { recordDir, recordPostgres, recordProcess } from './registry.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);

export type PrivateRedis = {
  port: number;
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
};

/** A `redis-server` on a free port, no persistence; stop() kills it by pid, start() brings it back on the same port. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = async () => {
    if (child && child.exitCode === null) return; // already running: never lose track of a pid
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    recordProcess(child.pid, `private redis-server :${port}`);
    await waitFor(() => run('redis-cli', ['-p', String(port), 'ping']).then((r) => r.stdout.trim() === 'PONG'), {
      timeoutMs: 10_000,
      what: `private redis on ${port}`,
    });
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  };
  await start();
  return { port, url: `redis://127.0.0.1:${port}`, start, stop, close: stop };
}

export type PrivatePostgres = {
  port: number;
  url(database: string): string;
  /**
   * 'fast' (the default, SIGINT): backends say "terminating connection due to administrator
   * command" (57P01) before closing. 'immediate' (SIGQUIT, `pg_ctl stop -m immediate`): backends
   * die without a word, so clients see their sockets end ("Connection terminated unexpectedly",
   * ECONNRESET), as after a crash; the next start runs crash recovery.
   */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
};

function pgBin(name: string): string {
  const versions = readdirSync('/usr/lib/postgresql').sort();
  return path.join('/usr/lib/postgresql', versions[versions.length - 1], 'bin', name);
}

/** PostgreSQL refuses to run as root: on CI (root) the cluster is owned by and run as `postgres`. */
function asPostgres(bin: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
}

/** A throwaway cluster (trust auth, fsync off) on a free port; stop() shuts its postmaster down by pid (fast, or immediate). */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(path.join(tmpdir(), 'atlas-pg-'));
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = path.join(dir, 'data');
  recordPostgres(data);
  await run(...asPostgres(pgBin('initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']));
  const port = await freePort();
  const start = async () => {
    await run(
      ...asPostgres(pgBin('pg_ctl'), [
        '-D',
        data,
        '-l',
        path.join(dir, 'log'),
        '-w',
        '-o',
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
        'start',
      ]),
    );
  };
  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    let pid: number;
    try {
      pid = Number(readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return; // not running
    }
    process.kill(pid, mode === 'immediate' ? 'SIGQUIT' : 'SIGINT');
    await waitFor(
      () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      },
      { timeoutMs: 20_000, what: `private postgres ${pid} to stop` },
    );
  };
  await start();
  return {
    port,
    url: (database) => `postgresql://postgres@127.0.0.1:${port}/${database}`,
    start,
    stop,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type PrivateCluster = {
  ports: number[];
  /** REDIS_CLUSTER_NODES: every master, comma-separated. */
  nodes: string;
  /** Kills one master (by pid) and starts it again on its port with its cluster state; resolves once the cluster is ok again. */
  restartMaster(index: number): Promise<void>;
  close(): Promise<void>;
};

/**
 * A private 3-master Redis Cluster (no replicas) on free ports, its node files under a temp dir:
 * `redis-server --cluster-enabled yes` three times and `redis-cli --cluster create`, then waits for
 * `cluster_state:ok` as every node sees it. close() kills the three by pid and removes the dir.
 */
export async function startPrivateCluster(masters = 3): Promise<PrivateCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), 'atlas-cluster-'));
  recordDir(dir);
  const ports: number[] = [];
  while (ports.length < masters) {
    const port = await freePort();
    // The cluster bus listens on port + 10000: both must be free.
    if (!ports.includes(port) && port + 10_000 <= 65_535 && (await portIsFree(port + 10_000))) ports.push(port);
  }
  const children = new Map<number, ChildProcess>();
  const startNode = async (port: number) => {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        path.join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout',
        '2000',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
      ],
      { stdio: 'ignore' },
    );
    recordProcess(child.pid, `private cluster redis-server :${port}`);
    children.set(port, child);
    await waitFor(() => run('redis-cli', ['-p', String(port), 'ping']).then((r) => r.stdout.trim() === 'PONG'), {
      timeoutMs: 10_000,
      what: `private cluster node on ${port}`,
    });
  };
  const stopNode = async (port: number) => {
    const c = children.get(port);
    children.delete(port);
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  };
  const clusterOk = () =>
    waitFor(
      async () => {
        for (const port of ports) {
          const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'info']);
          if (!stdout.includes('cluster_state:ok')) return false;
        }
        return true;
      },
      { timeoutMs: 20_000, what: 'cluster_state:ok on every node' },
    );
  try {
    await Promise.all(ports.map(startNode));
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await clusterOk();
  } catch (err) {
    await Promise.all(ports.map(stopNode));
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    ports,
    nodes: ports.map((p) => `127.0.0.1:${p}`).join(','),
    async restartMaster(index) {
      await stopNode(ports[index]);
      await startNode(ports[index]);
      await clusterOk();
    },
    async close() {
      await Promise.all(ports.map(stopNode));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
