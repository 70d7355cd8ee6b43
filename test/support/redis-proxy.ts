// A TCP proxy in front of the shared Redis that can hold back its clients' SUBSCRIBE commands (the
// way to make "Redis has not subscribed the channel yet" last as long as a test needs), or all of
// their commands (a Redis that hangs).
// Only the proxied connections are affected; the shared Redis itself is never paused.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export type RedisProxy = {
  url: string;
  /** From now on, a client chunk that contains a SUBSCRIBE (and whatever that client sends after it) waits. */
  holdSubscribes(): void;
  /** From now on, every client's commands wait: a Redis that accepts connections and never answers. */
  holdEverything(): void;
  /** How many SUBSCRIBE-bearing chunks are being held. */
  heldSubscribes(): number;
  /** Sends everything held, in order, and stops holding. */
  release(): void;
  close(): Promise<void>;
};

export async function startRedisProxy(redisUrl: string): Promise<RedisProxy> {
  const target = new URL(redisUrl);
  /** What makes a client chunk (and everything after it) wait; null: nothing is held. */
  let holding: RegExp | null = null;
  const pipes = new Set<{ client: Socket; upstream: Socket; held: Buffer[] | null }>();

  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port || 6379) });
    const pipe = { client, upstream, held: null as Buffer[] | null };
    pipes.add(pipe);
    client.on('data', (chunk: Buffer) => {
      if (!pipe.held && holding?.test(chunk.toString('latin1'))) pipe.held = [];
      if (pipe.held) pipe.held.push(chunk);
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const end = () => {
      pipes.delete(pipe);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  return {
    url: `redis://127.0.0.1:${port}${target.pathname}`,
    holdSubscribes: () => void (holding = /subscribe/i),
    holdEverything: () => void (holding = /[\s\S]/),
    heldSubscribes: () =>
      [...pipes].filter((p) => p.held?.some((chunk) => /subscribe/i.test(chunk.toString('latin1')))).length,
    release() {
      holding = null;
      for (const pipe of pipes) {
        for (const chunk of pipe.held ?? []) pipe.upstream.write(chunk);
        pipe.held = null;
      }
    },
    async close() {
      for (const pipe of pipes) {
        pipe.client.destroy();
        pipe.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
