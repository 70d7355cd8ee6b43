// The console's development-only sign-in (issue 14; issue 19 item 3): /dev/users and /dev/token
// answer only with DEV_SIGN_IN=on (default off, whatever NODE_ENV says), only to a loopback Host
// header (DNS rebinding), and the configuration refuses DEV_SIGN_IN=on with a real JWT_SECRET, a
// non-loopback HOST or NODE_ENV=production; a process refuses to start so, and warns when it is on.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_JWT_SECRET, loadConfig, type Config } from '../../src/config.js';
import { startServer } from '../../src/server.js';
import { runAtlasUntilExit, spawnAtlas } from '../support/processes.js';
import { createWorld, type World } from '../support/world.js';

const REAL_SECRET = 'a-real-production-secret-of-some-length';
let world: World;
beforeAll(async () => void (world = await createWorld({ JWT_SECRET: DEV_JWT_SECRET })));
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

/** A GET with a chosen Host header (fetch does not let a caller set it). */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('development sign-in endpoint', () => {
  it.each([
    ['production', REAL_SECRET],
    ['test', REAL_SECRET],
    ['development', DEV_JWT_SECRET],
  ] as const)('is 404 by default (DEV_SIGN_IN off) when NODE_ENV=%s', async (env, secret) => {
    await withServer({ NODE_ENV: env, JWT_SECRET: secret, DEV_SIGN_IN: 'off' }, async (url) => {
      const token = await fetch(`${url}/dev/token?email=owner@contoso.test`);
      expect(token.status).toBe(404);
      expect(await token.text()).not.toMatch(/token"/);
      expect((await fetch(`${url}/dev/users`)).status).toBe(404);
      expect((await fetch(`${url}/health`)).status).toBe(200); // positive control: the server answers
    });
  });

  it('lists the demo users and mints a working token with DEV_SIGN_IN=on', async () => {
    const config = { NODE_ENV: 'development', DEV_SIGN_IN: 'on', PUBLIC_APP_URL: 'http://localhost:5173' } as const;
    await withServer(config, async (url) => {
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

  it('answers only a loopback Host header (DNS rebinding): evil.example gets 403 and no token', async () => {
    await withServer({ NODE_ENV: 'development', DEV_SIGN_IN: 'on' }, async (url) => {
      const port = new URL(url).port;
      for (const host of [
        'evil.example',
        `evil.example:${port}`,
        `127.0.0.1.evil.example:${port}`,
        `10.0.0.5:${port}`,
      ]) {
        const token = await getWithHost(`${url}/dev/token?email=owner@contoso.test`, host);
        expect({ host, status: token.status, token: token.body.includes('token"') }).toEqual({
          host,
          status: 403,
          token: false,
        });
        expect((await getWithHost(`${url}/dev/users`, host)).status).toBe(403);
      }
      // Positive controls through the same client: every loopback name, with and without the port.
      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'localhost']) {
        const token = await getWithHost(`${url}/dev/token?email=owner@contoso.test`, host);
        expect({ host, status: token.status }).toEqual({ host, status: 200 });
        expect(JSON.parse(token.body).token).toMatch(/^ey/);
      }
    });
  });
});

describe('DEV_SIGN_IN=on is refused outside a developer machine', () => {
  it.each([
    ['a non-default JWT_SECRET', { JWT_SECRET: REAL_SECRET }, /non-default JWT_SECRET/],
    ['a non-loopback HOST', { HOST: '0.0.0.0' }, /non-loopback HOST/],
    ['NODE_ENV=production', { NODE_ENV: 'production', JWT_SECRET: REAL_SECRET }, /NODE_ENV=production/],
  ])('by the configuration, with %s, naming DEV_SIGN_IN', (_name, env, reason) => {
    expect(() => loadConfig({ NODE_ENV: 'development', DEV_SIGN_IN: 'on', ...env })).toThrow(/DEV_SIGN_IN: /);
    expect(() => loadConfig({ NODE_ENV: 'development', DEV_SIGN_IN: 'on', ...env })).toThrow(reason);
    // Control: the same settings without DEV_SIGN_IN=on are accepted.
    expect(loadConfig({ NODE_ENV: 'development', ...env }).DEV_SIGN_IN).toBe('off');
  });

  it.each([
    ['a non-default JWT_SECRET', { JWT_SECRET: REAL_SECRET }],
    ['a non-loopback HOST', { HOST: '0.0.0.0' }],
  ])('by the process, with %s: exit 1 and one JSON fatal line naming DEV_SIGN_IN', async (_name, env) => {
    const exit = await runAtlasUntilExit(world.config, { NODE_ENV: 'development', DEV_SIGN_IN: 'on', ...env });
    expect(exit.code).toBe(1);
    const lines = exit.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 60 });
    expect(lines[0].msg).toMatch(/DEV_SIGN_IN: DEV_SIGN_IN=on is refused/);
  });

  it('warns loudly at start-up when it is on (and not when it is off)', async () => {
    const on = await spawnAtlas('api', world.config, { NODE_ENV: 'development', DEV_SIGN_IN: 'on' });
    const off = await spawnAtlas('api', world.config, { NODE_ENV: 'development' });
    try {
      const warnings = (output: string[]) =>
        output
          .join('')
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line))
          .filter((line) => line.level === 40 && line.variable === 'DEV_SIGN_IN');
      // The warning is written before "API listening on", which spawnAtlas waited for.
      expect(warnings(on.output)).toHaveLength(1);
      expect(warnings(on.output)[0].msg).toMatch(/mint tokens for any user/);
      expect(warnings(off.output)).toHaveLength(0);
      expect((await fetch(`${on.url}/dev/token?email=owner@contoso.test`)).status).toBe(200);
      expect((await fetch(`${off.url}/dev/token?email=owner@contoso.test`)).status).toBe(404);
    } finally {
      await Promise.all([on.stop(), off.stop()]);
    }
  });
});
