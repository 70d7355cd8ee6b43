// Real atlas-gate processes for end-to-end tests: `src/main.ts` as an API or a worker, with the
// test world's database and Redis prefix. Each waits until the process says it is ready.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import type { Config } from '../../src/config.js';
import { recordProcess } from './registry.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export type AtlasProcess = {
  child: ChildProcess;
  port: number;
  url: string;
  output: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function spawnAtlas(
  role: 'api' | 'worker',
  config: Config,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
  /** A compiled entry point (`<outDir>/src/main.js`) run by plain node instead of `src/main.ts` under tsx. */
  main?: string,
): Promise<AtlasProcess> {
  // An API restarted on its old port passes PORT in `env`.
  const port = env.PORT ? Number(env.PORT) : role === 'api' ? await freePort() : 0;
  // node itself (not a tsx wrapper process), so the pid is the server's and node flags apply.
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      ...(main ? [main] : ['--import', 'tsx', 'src/main.ts']),
      ...(role === 'worker' ? ['--role=worker'] : []),
    ],
    {
      cwd: ROOT,
      env: atlasEnv(config, {
        PUBLIC_APP_URL: config.PUBLIC_APP_URL,
        PORT: String(port),
        WORKERS: role === 'api' ? 'off' : 'on',
        SIM_LATENCY_MS: String(config.SIM_LATENCY_MS),
        RATE_LIMIT_STARTS: String(config.RATE_LIMIT_STARTS),
        RATE_LIMIT_SCHEDULE_CHANGES: String(config.RATE_LIMIT_SCHEDULE_CHANGES),
        ...env,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  recordProcess(child.pid, `atlas ${role}`);
  const output: string[] = [];
  const ready = role === 'api' ? 'API listening on' : 'workers started';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role} did not start:\n${output.join('')}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      if (output.join('').includes(ready)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${role} exited with ${code}:\n${output.join('')}`));
    });
  });
  child.removeAllListeners('exit');
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    output,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      }),
  };
}

export type AtlasExit = {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
};

/**
 * `src/main.ts` that is expected to stop by itself (a start-up failure): resolves with its exit,
 * output and how long it ran; kills it (SIGKILL) and rejects if it is still running after `timeoutMs`.
 */
export async function runAtlasUntilExit(
  config: Config,
  env: Record<string, string> = {},
  timeoutMs = 30_000,
  args: string[] = [],
): Promise<AtlasExit> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: ROOT,
    env: atlasEnv(config, { PORT: '0', WORKERS: 'off', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  recordProcess(child.pid, 'atlas (expected to exit)');
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`still running after ${timeoutMs} ms:\n${stdout}${stderr}`));
    }, timeoutMs);
    // 'close', not 'exit': every byte of its output has arrived by then.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, elapsedMs: Date.now() - started });
    });
  });
}

/** The environment of a spawned atlas process: the test world's database, Redis and secret, then `extra`. */
function atlasEnv(config: Config, extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'test',
    DATABASE_URL: config.DATABASE_URL,
    REDIS_URL: config.REDIS_URL,
    REDIS_PREFIX: config.REDIS_PREFIX,
    // The cluster lane (vitest project `cluster`): the same private cluster as the test's own services.
    ...(config.REDIS_CLUSTER_NODES ? { REDIS_CLUSTER_NODES: config.REDIS_CLUSTER_NODES } : {}),
    JWT_SECRET: config.JWT_SECRET,
    LOG_LEVEL: 'info',
    ...extra,
  };
}
