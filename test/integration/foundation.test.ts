import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaPg } from '@prisma/adapter-pg';
import { SignJWT } from 'jose';
import { PrismaClient } from '../../src/generated/prisma/client.js';
import { createYogaApp } from '../../src/server.js';
import { MeAndTenants, TenantById } from '../support/documents.js';
import { createWorld, type World } from '../support/world.js';

let world: World;
beforeAll(async () => {
  world = await createWorld();
});
afterAll(async () => world?.close());

describe('queries scoped to the caller', () => {
  it("answers the owner's six Contoso tenants and not Zephyr", async () => {
    const res = await world.gql(MeAndTenants, {}, 'owner@contoso.test');
    expect(res.errors).toBeUndefined();
    expect(res.data!.me.email).toBe('owner@contoso.test');
    expect(res.data!.tenants.map((t) => t.name)).toEqual(['Alpine', 'Birch', 'Cedar', 'Dune', 'Elm', 'Fir']);
    const birch = res.data!.tenants.find((t) => t.name === 'Birch')!;
    expect(birch.providerConnections.map((c) => [c.displayName, c.enabled, c.isDefault])).toEqual([
      ['Birch Graph (primary)', false, true],
      ['Birch Graph (secondary)', true, false],
    ]);
    expect(res.data!.tenants.find((t) => t.name === 'Alpine')!.restoreRuns).toEqual([
      { id: world.ids.restoreRun('Alpine'), status: 'READY' },
    ]);
    expect(res.data!.tenants.find((t) => t.name === 'Cedar')!.providerConnections).toEqual([]);
  });

  it('shows an outsider only their own workspace', async () => {
    const res = await world.gql(MeAndTenants, {}, 'outsider@other.test');
    expect(res.data!.tenants.map((t) => t.name)).toEqual(['Zephyr']);
    const contoso = await world.gql(TenantById, { id: world.ids.tenant('Alpine') }, 'outsider@other.test');
    expect(contoso.errors).toBeUndefined();
    expect(contoso.data!.tenant).toBeNull();
    const own = await world.gql(TenantById, { id: world.ids.tenant('Zephyr') }, 'outsider@other.test');
    expect(own.data!.tenant!.name).toBe('Zephyr');
  });

  it('answers null, not a database error, for a malformed id', async () => {
    const res = await world.gql(TenantById, { id: "1' OR '1'='1" });
    expect(res.errors).toBeUndefined();
    expect(res.data!.tenant).toBeNull();
  });

  it('loads tenants with their connections without a query per tenant', async () => {
    const queries: string[] = [];
    const prisma = new PrismaClient({
      adapter: new PrismaPg({ connectionString: world.databaseUrl }),
      log: [{ emit: 'event', level: 'query' }],
    });
    prisma.$on('query', (e) => queries.push(e.query));
    try {
      const yoga = createYogaApp({ ...world.services, prisma });
      const token = await world.token('owner@contoso.test');
      const query = '{ tenants { name providerConnections { displayName } restoreRuns { status } } }';
      const res = await yoga.fetch('http://atlas.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query }),
      });
      const body = await res.json();
      expect(body.data.tenants).toHaveLength(6);
      // membership lookup + tenants (+ relations joined or batched): independent of the tenant count.
      expect(queries.length).toBeGreaterThan(0);
      expect(queries.length).toBeLessThanOrEqual(4);
    } finally {
      await prisma.$disconnect();
    }
  });
});

describe('authentication and masked errors', () => {
  const post = async (headers: Record<string, string>, query = '{ me { email } }') => {
    const yoga = createYogaApp(world.services);
    const res = await yoga.fetch('http://atlas.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query }),
    });
    return res.json() as Promise<{
      data?: unknown;
      errors?: { message: string; extensions: Record<string, unknown> }[];
    }>;
  };

  it.each([
    ['no token', {}],
    ['garbage token', { authorization: 'Bearer not-a-jwt' }],
    ['wrong scheme', { authorization: 'Basic abc' }],
  ])('%s is UNAUTHENTICATED', async (_name, headers) => {
    const body = await post(headers);
    expect(body.errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('rejects a token signed with another secret, an expired token and an unknown user', async () => {
    const sign = (secret: string, sub: string, exp: number) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(sub)
        .setExpirationTime(exp)
        .sign(new TextEncoder().encode(secret));
    const now = Math.floor(Date.now() / 1000);
    const owner = world.ids.user('owner@contoso.test');
    for (const token of [
      await sign('another-secret-another-secret', owner, now + 600),
      await sign(world.config.JWT_SECRET, owner, now - 10),
      await sign(world.config.JWT_SECRET, '00000000-0000-4000-8000-000000000000', now + 600),
      await sign(world.config.JWT_SECRET, 'not-a-uuid', now + 600),
    ]) {
      const body = await post({ authorization: `Bearer ${token}` });
      expect(body.errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
    }
  });

  it('keeps parse and validation codes and leaks no internals', async () => {
    const token = await world.token('owner@contoso.test');
    const parse = await post({ authorization: `Bearer ${token}` }, '{ me { ');
    expect(parse.errors?.[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    const invalid = await post({ authorization: `Bearer ${token}` }, '{ me { nope } }');
    expect(invalid.errors?.[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    for (const body of [parse, invalid]) expect(JSON.stringify(body)).not.toMatch(/stack|at \/|node_modules/);
  });

  it('masks an unexpected error as INTERNAL_SERVER_ERROR with a generic message', async () => {
    const broken = new PrismaClient({
      adapter: new PrismaPg({ connectionString: world.databaseUrl.replace(/\/[^/]+$/, '/atlas_gate_no_such_db') }),
    });
    try {
      const yoga = createYogaApp({ ...world.services, prisma: broken });
      const token = await world.token('owner@contoso.test');
      const res = await yoga.fetch('http://atlas.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ me { email } }' }),
      });
      const text = await res.text();
      expect(text).not.toMatch(/atlas_gate_no_such_db|stack|SELECT|prisma/i);
      const error = JSON.parse(text).errors[0];
      expect([error.message, error.extensions]).toEqual(['Unexpected error.', { code: 'INTERNAL_SERVER_ERROR' }]);
      expect(error.path).toEqual(['me']);
    } finally {
      await broken.$disconnect();
    }
  });
});
