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
  /** Every node's port: the masters first, then their replicas. */
  ports: number[];
  /** REDIS_CLUSTER_NODES: every node, comma-separated. */
  nodes: string;
  /** Kills one master (by pid) and starts it again on its port with its cluster state; resolves once the cluster is ok again. */
  restartMaster(index: number): Promise<void>;
  /** Kills the node on `port` (SIGKILL, by pid) and leaves it down. */
  kill(port: number): Promise<void>;
  /** Starts the node on `port` again (its nodes.conf keeps its place in the cluster; no data: nothing is persisted). */
  start(port: number): Promise<void>;
  /** Resolves once every running node says cluster_state:ok. */
  ok(): Promise<void>;
  /** `CLUSTER INFO`'s cluster_state as the node on `port` sees it. */
  stateSeenBy(port: number): Promise<string>;
  /** The ports of the nodes that are masters now, as the running nodes see it. */
  masters(): Promise<number[]>;
  close(): Promise<void>;
};

/**
 * A private Redis Cluster of `masters` masters, each with `replicas` replicas, on free ports, its node
 * files under a temp dir: `redis-server --cluster-enabled yes` per node and `redis-cli --cluster
 * create`, then waits for `cluster_state:ok` as every node sees it. close() kills the nodes by pid
 * and removes the dir.
 */
export async function startPrivateCluster(masters = 3, replicas = 0): Promise<PrivateCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), 'atlas-cluster-'));
  recordDir(dir);
  const ports: number[] = [];
  while (ports.length < masters * (1 + replicas)) {
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
        // A replica's first sync starts at once (the default waits 5 s for more replicas).
        '--repl-diskless-sync-delay',
        '0',
        '--dbfilename',
        `dump-${port}.rdb`,
        '--logfile',
        path.join(dir, `redis-${port}.log`),
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
  const stateSeenBy = async (port: number) =>
    /cluster_state:(\w+)/.exec((await run('redis-cli', ['-p', String(port), 'cluster', 'info'])).stdout)?.[1] ??
    'unknown';
  const clusterOk = () =>
    waitFor(
      async () => {
        for (const port of ports.filter((p) => children.has(p))) {
          if ((await stateSeenBy(port)) !== 'ok') return false;
          // A replica that has not synced with its master yet could not take over from it.
          const replication = (await run('redis-cli', ['-p', String(port), 'info', 'replication'])).stdout;
          if (replication.includes('role:slave') && !replication.includes('master_link_status:up')) return false;
        }
        return true;
      },
      { timeoutMs: 20_000, what: 'cluster_state:ok on every node, every replica in sync' },
    );
  try {
    await Promise.all(ports.map(startNode));
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      String(replicas),
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
    kill: stopNode,
    start: startNode,
    ok: async () => void (await clusterOk()),
    stateSeenBy,
    async masters() {
      const alive = ports.find((p) => children.has(p))!;
      const { stdout } = await run('redis-cli', ['-p', String(alive), 'cluster', 'nodes']);
      return (
        stdout
          .split('\n')
          .map((line) => line.split(' '))
          // A master serves slots (field 9 on); a failed one, or one left without slots, does not count.
          .filter((f) => f.length > 8 && f[2].includes('master') && !f[2].includes('fail'))
          .map((f) => Number(f[1].split(':')[1].split('@')[0]))
      );
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
