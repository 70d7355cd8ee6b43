// The API masks a lost database connection as SERVICE_UNAVAILABLE (retryable), with the same
// classifier the workers use. The connection is really reset: a TCP server that answers every
// connection with an RST, so adapter-pg sees ECONNRESET and Prisma raises P1017 ("Server has
// closed the connection."), which the API's own list used to answer INTERNAL_SERVER_ERROR.
import { createServer, type Server, type Socket } from 'node:net';
import { PrismaPg } from '@prisma/adapter-pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from '../../src/db/unavailable.js';
import { PrismaClient } from '../../src/generated/prisma/client.js';
import { createYogaApp } from '../../src/server.js';
import { createWorld, type World } from '../support/world.js';

let world: World;
let resetter: Server;
let resetting: PrismaClient;

beforeAll(async () => {
  world = await createWorld();
  resetter = createServer((socket: Socket) => socket.resetAndDestroy());
  await new Promise<void>((resolve) => resetter.listen(0, '127.0.0.1', resolve));
  const { port } = resetter.address() as { port: number };
  resetting = new PrismaClient({
    adapter: new PrismaPg({ connectionString: `postgresql://postgres@127.0.0.1:${port}/atlas_gate` }),
  });
});

afterAll(async () => {
  await resetting?.$disconnect();
  await new Promise<void>((resolve) => (resetter ? resetter.close(() => resolve()) : resolve()));
  await world?.close();
});

const ask = async (prisma: PrismaClient) => {
  const yoga = createYogaApp({ ...world.services, prisma });
  const res = await yoga.fetch('http://atlas.test/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${await world.token('owner@contoso.test')}`,
    },
    body: JSON.stringify({ query: '{ me { email } }' }),
  });
  return res.text();
};

describe('a database connection reset under the API', () => {
  it('Prisma reports it as P1017, and the classifier calls that unavailable', async () => {
    const err = await resetting.user.findFirst().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'P1017', message: expect.stringContaining('Server has closed the connection') });
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it('answers SERVICE_UNAVAILABLE with a retry hint, not INTERNAL_SERVER_ERROR, and leaks nothing', async () => {
    const text = await ask(resetting);
    expect(text).not.toMatch(/ECONNRESET|P1017|stack|prisma|SELECT/i);
    const error = JSON.parse(text).errors[0];
    expect([error.message, error.extensions, error.path]).toEqual([
      'A backing service is unavailable. Try again shortly.',
      { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 1 },
      ['me'],
    ]);
  });

  it('the same query on the working database answers (control)', async () => {
    expect(JSON.parse(await ask(world.services.prisma))).toEqual({ data: { me: { email: 'owner@contoso.test' } } });
  });
});
