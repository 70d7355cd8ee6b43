// Exposure defaults (issue 9, item 12): loopback by default, a loud warning when the published
// development JWT secret serves a network address, and in production no introspection, no
// GraphiQL (unless enabled) and CORS only for configured origins.
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEV_JWT_SECRET, loadConfig, type Config } from '../../src/config.js';
import { createYogaApp, startServer } from '../../src/server.js';
import { createWorld, type World } from '../support/world.js';

let world: World;
const logs: { level: number; msg: string; host?: string }[] = [];

beforeAll(async () => {
  const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  world = await createWorld({ JWT_SECRET: DEV_JWT_SECRET }, { log });
});
afterAll(async () => world?.close());
beforeEach(() => void (logs.length = 0));

const REAL_SECRET = 'a-real-production-secret-of-some-length';
const exposure = { GRAPHIQL: undefined, INTROSPECTION: undefined, CORS_ORIGINS: undefined };
const production = (overrides: Partial<Config> = {}): Config => ({
  ...world.config,
  ...exposure,
  NODE_ENV: 'production',
  JWT_SECRET: REAL_SECRET,
  ...overrides,
});
const development = (overrides: Partial<Config> = {}): Config => ({
  ...world.config,
  ...exposure,
  NODE_ENV: 'development',
  ...overrides,
});
const app = (config: Config) => createYogaApp({ ...world.services, config });

async function introspect(config: Config) {
  const res = await app(config).fetch('http://atlas.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await world.token('owner@contoso.test')}` },
    body: JSON.stringify({ query: '{ __schema { queryType { name } } }' }),
  });
  return res.json();
}
const graphiql = async (config: Config) => {
  const res = await app(config).fetch('http://atlas.test/graphql', { headers: { accept: 'text/html' } });
  return (await res.text()).toLowerCase().includes('graphiql');
};
const preflight = async (config: Config, origin: string) => {
  const res = await app(config).fetch('http://atlas.test/graphql', {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    },
  });
  return {
    allowOrigin: res.headers.get('access-control-allow-origin'),
    credentials: res.headers.get('access-control-allow-credentials'),
  };
};

describe('configuration', () => {
  it('binds loopback unless HOST says otherwise', () => {
    expect(loadConfig({}).HOST).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '0.0.0.0' }).HOST).toBe('0.0.0.0');
  });
});

describe('in production', () => {
  it('refuses introspection but still answers __typename', async () => {
    const body = await introspect(production());
    expect(body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(body.errors[0].message).toMatch(/introspection has been disabled/);
    const res = await app(production()).fetch('http://atlas.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(await res.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('serves no GraphiQL', async () => {
    expect(await graphiql(production())).toBe(false);
  });

  it('turns both on when asked to', async () => {
    const enabled = production({ GRAPHIQL: 'on', INTROSPECTION: 'on' });
    expect((await introspect(enabled)).data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    expect(await graphiql(enabled)).toBe(true);
  });

  it('allows only configured origins, without credentials', async () => {
    const config = production({ CORS_ORIGINS: 'https://console.example, https://ops.example' });
    expect(await preflight(config, 'https://console.example')).toEqual({
      allowOrigin: 'https://console.example',
      credentials: null,
    });
    expect(await preflight(config, 'https://ops.example')).toEqual({
      allowOrigin: 'https://ops.example',
      credentials: null,
    });
    const foreign = await preflight(config, 'https://evil.example');
    expect(foreign.allowOrigin).not.toBe('https://evil.example');
    expect(foreign.credentials).toBeNull();
  });

  it("defaults CORS to PUBLIC_APP_URL's origin", async () => {
    const config = production({ PUBLIC_APP_URL: 'https://console.example/app' });
    expect((await preflight(config, 'https://console.example')).allowOrigin).toBe('https://console.example');
    expect((await preflight(config, 'https://evil.example')).allowOrigin).not.toBe('https://evil.example');
  });
});

describe('in development', () => {
  it('keeps introspection and GraphiQL on', async () => {
    expect((await introspect(development())).data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    expect(await graphiql(development())).toBe(true);
  });

  it('no longer echoes any Origin with credentials', async () => {
    const foreign = await preflight(development(), 'https://evil.example');
    expect(foreign.allowOrigin).not.toBe('https://evil.example');
    expect(foreign.credentials).toBeNull();
    expect((await preflight(development(), 'http://localhost:5173')).allowOrigin).toBe('http://localhost:5173');
  });
});

describe('start-up', () => {
  const warnings = () => logs.filter((l) => l.level === 40 && /development JWT_SECRET/.test(l.msg));

  it.each([
    ['the development secret on 0.0.0.0', DEV_JWT_SECRET, '0.0.0.0', 1],
    ['the development secret on loopback', DEV_JWT_SECRET, '127.0.0.1', 0],
    ['a real secret on 0.0.0.0', REAL_SECRET, '0.0.0.0', 0],
  ])('warns (as JSON) for %s: %i', async (_name, secret, host, expected) => {
    const server = await startServer({ ...world.services, config: { ...world.config, JWT_SECRET: secret } }, 0, host);
    try {
      expect(warnings()).toHaveLength(expected);
      if (expected) expect(warnings()[0].host).toBe(host);
    } finally {
      await server.close();
    }
  });

  it('listens on HOST by default', async () => {
    const server = await startServer(world.services, 0);
    try {
      expect((server.http.address() as { address: string }).address).toBe('127.0.0.1');
    } finally {
      await server.close();
    }
  });
});
