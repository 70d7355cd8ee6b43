// The console's development-only sign-in (issue 14): /dev/users and /dev/token answer only when
// NODE_ENV=development; in production (and test) they are 404, and the token they mint works.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { startServer } from '../../src/server.js';
import { createWorld, type World } from '../support/world.js';

let world: World;
beforeAll(async () => void (world = await createWorld()));
afterAll(async () => world?.close());

async function withServer<T>(overrides: Partial<Config>, use: (url: string) => Promise<T>): Promise<T> {
  const server = await startServer({ ...world.services, config: { ...world.config, ...overrides } }, 0, '127.0.0.1');
  try {
    const { port } = server.http.address() as { port: number };
    return await use(`http://127.0.0.1:${port}`);
  } finally {
    await server.close();
  }
}

describe('development sign-in endpoint', () => {
  it.each(['production', 'test'] as const)('is 404 when NODE_ENV=%s', async (env) => {
    await withServer({ NODE_ENV: env, JWT_SECRET: 'a-real-production-secret-of-some-length' }, async (url) => {
      const token = await fetch(`${url}/dev/token?email=owner@contoso.test`);
      expect(token.status).toBe(404);
      expect(await token.text()).not.toMatch(/token"/);
      expect((await fetch(`${url}/dev/users`)).status).toBe(404);
      expect((await fetch(`${url}/health`)).status).toBe(200); // positive control: the server answers
    });
  });

  it('lists the demo users and mints a working token when NODE_ENV=development', async () => {
    await withServer({ NODE_ENV: 'development', PUBLIC_APP_URL: 'http://localhost:5173' }, async (url) => {
      const users = await fetch(`${url}/dev/users`);
      expect(users.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
      expect((await users.json()).map((u: { email: string }) => u.email)).toContain('owner@contoso.test');
      const res = await fetch(`${url}/dev/token?email=owner@contoso.test`);
      expect(res.status).toBe(200);
      const { token } = await res.json();
      const me = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ me { email } }' }),
      });
      expect((await me.json()).data.me.email).toBe('owner@contoso.test');
      expect((await fetch(`${url}/dev/token?email=nobody@contoso.test`)).status).toBe(404);
    });
  });
});
