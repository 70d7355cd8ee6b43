// Client mistakes are answered as the client's mistakes: GRAPHQL_VALIDATION_FAILED or
// BAD_USER_INPUT with a message saying what is wrong, logged at most at info, never
// INTERNAL_SERVER_ERROR "Unexpected error." with an error-level stack (issue 9, items 5 and 13).
import { GraphQLError, type GraphQLScalarType } from 'graphql';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { schema } from '../../src/graphql/schema/index.js';
import { createYogaApp } from '../../src/server.js';
import { createWorld, ids, type World } from '../support/world.js';

let world: World;
let yoga: ReturnType<typeof createYogaApp>;
const logs: { level: number; msg: string }[] = [];

beforeAll(async () => {
  const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  world = await createWorld({}, { log });
  yoga = createYogaApp(world.services);
});
afterAll(async () => world?.close());
beforeEach(() => void (logs.length = 0));

type Answer = { status: number; body: { data?: any; errors?: { message: string; extensions?: { code?: string } }[] } };

async function post(query: string, variables?: Record<string, unknown>, accept = 'application/json'): Promise<Answer> {
  const res = await yoga.fetch('http://atlas.test/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept,
      authorization: `Bearer ${await world.token('owner@contoso.test')}`,
    },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: await res.json() };
}

const cursor = (iso: string) => Buffer.from(`${iso}|${ids.tenant('Alpine')}`).toString('base64url');
const TENANT = 'query ($id: ID!) { tenant(id: $id) { id } }';
const SYNC = 'mutation ($t: ID!, $k: DirectorySyncKind!) { startDirectorySync(tenantId: $t, kind: $k) { __typename } }';
const RUNS = 'query ($first: Int, $after: String) { operationRuns(first: $first, after: $after) { edges { cursor } } }';
const NOTIFICATIONS = 'query ($first: Int) { notifications(first: $first) { id } }';
const deep = (levels: number) =>
  `{ operationRuns(first: 1) { edges { node { ${'parent { '.repeat(levels)}id${' }'.repeat(levels)} } } } }`;

const cases: [
  name: string,
  query: string,
  variables: Record<string, unknown> | undefined,
  code: string,
  message: RegExp,
][] = [
  [
    'an object for ID!',
    TENANT,
    { id: { a: 1 } },
    'BAD_USER_INPUT',
    /Variable "\$id" got invalid value.*ID cannot represent value/,
  ],
  ['null for ID!', TENANT, { id: null }, 'BAD_USER_INPUT', /Variable "\$id" of non-null type "ID!" must not be null/],
  [
    'an unknown enum value',
    SYNC,
    { t: ids.tenant('Alpine'), k: 'FOO' },
    'BAD_USER_INPUT',
    /Value "FOO" does not exist in "DirectorySyncKind" enum/,
  ],
  [
    'a query over the depth limit',
    deep(12),
    undefined,
    'GRAPHQL_VALIDATION_FAILED',
    /^Query depth limit of 12 exceeded, found \d+\.$/,
  ],
  [
    'too many aliases',
    `{ ${Array.from({ length: 30 }, (_, i) => `a${i}: me { id }`).join(' ')} }`,
    undefined,
    'GRAPHQL_VALIDATION_FAILED',
    /^Aliases limit of 20 exceeded, found 30\.$/,
  ],
  [
    'a query over the cost limit',
    '{ operationRuns(first: 10000) { edges { cursor } } }',
    undefined,
    'GRAPHQL_VALIDATION_FAILED',
    /^Query Cost limit of 20000 exceeded/,
  ],
  [
    'first: 2147483648 in the query',
    '{ operationRuns(first: 2147483648) { edges { cursor } } }',
    undefined,
    'GRAPHQL_VALIDATION_FAILED',
    /limit of 20000 exceeded|Int cannot represent/,
  ],
  [
    'first: 2147483648 as a variable',
    RUNS,
    { first: 2147483648 },
    'BAD_USER_INPUT',
    /Int cannot represent non 32-bit signed integer value: 2147483648/,
  ],
  ['first: 10000 as a variable', RUNS, { first: 10000 }, 'BAD_USER_INPUT', /^first must be between 0 and 100$/],
  [
    'a cursor in year -5000',
    RUNS,
    { first: 5, after: cursor('-005000-01-01T00:00:00.000Z') },
    'BAD_USER_INPUT',
    /^Invalid cursor$/,
  ],
  [
    'a cursor in year 0',
    RUNS,
    { first: 5, after: cursor('0000-01-01T00:00:00.000Z') },
    'BAD_USER_INPUT',
    /^Invalid cursor$/,
  ],
  [
    'a cursor in year 200000',
    RUNS,
    { first: 5, after: cursor('+200000-01-01T00:00:00.000Z') },
    'BAD_USER_INPUT',
    /^Invalid cursor$/,
  ],
  [
    'a cursor in year 300000',
    RUNS,
    { first: 5, after: cursor('+300000-01-01T00:00:00.000Z') },
    'BAD_USER_INPUT',
    /^Invalid cursor$/,
  ],
  ['notifications(first: -1)', NOTIFICATIONS, { first: -1 }, 'BAD_USER_INPUT', /^first must be between 0 and 200$/],
  ['notifications(first: 201)', NOTIFICATIONS, { first: 201 }, 'BAD_USER_INPUT', /^first must be between 0 and 200$/],
];

describe('client mistakes over HTTP', () => {
  it.each(cases)('%s: %s', async (_name, query, variables, code, message) => {
    const { body } = await post(query, variables);
    expect(body.errors, JSON.stringify(body)).toHaveLength(1);
    const [error] = body.errors!;
    expect(error.extensions).toEqual(expect.objectContaining({ code }));
    expect(error.message).toMatch(message);
    expect(JSON.stringify(body)).not.toMatch(/stack|Unexpected error|prisma|INTERNAL_SERVER_ERROR/i);
    // Logged at most at info (pino: 30), never as a server fault.
    expect(logs.filter((l) => l.level > 30)).toEqual([]);
  });

  it('answers armor limits with 400 to graphql-response+json clients, like its own validation errors', async () => {
    const limit = await post(deep(12), undefined, 'application/graphql-response+json');
    const unknownField = await post('{ nope }', undefined, 'application/graphql-response+json');
    expect(unknownField.status).toBe(400);
    expect(limit.status).toBe(400);
  });

  it('still pages with real cursors and accepts first within the bounds (control)', async () => {
    await world.services.gate.start(
      { userId: ids.user('owner@contoso.test'), roles: new Map([[ids.workspace('Contoso MSP'), 'OWNER' as const]]) },
      {
        type: 'DIRECTORY_GROUPS_SYNC',
        tenantId: ids.tenant('Cedar'),
      },
    );
    const page = await post(RUNS, { first: 1 });
    expect(page.body.errors).toBeUndefined();
    const next = await post(RUNS, { first: 100, after: page.body.data.operationRuns.edges[0].cursor });
    expect(next.body).toEqual({ data: { operationRuns: { edges: [] } } });
    expect((await post(NOTIFICATIONS, { first: 0 })).body).toEqual({ data: { notifications: [] } });
    expect((await post(NOTIFICATIONS, { first: 200 })).body).toEqual({ data: { notifications: [] } });
  });

  it('an unexpected fault is still INTERNAL_SERVER_ERROR, logged as an error', async () => {
    // Positive control for the log assertion above: a resolver failure is not a client mistake.
    const broken = createYogaApp({
      ...world.services,
      prisma: new Proxy(world.services.prisma, {
        get: () => {
          throw new Error('boom');
        },
      }),
    });
    const res = await broken.fetch('http://atlas.test/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await world.token('owner@contoso.test')}`,
      },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    const body = await res.json();
    expect(body.errors[0]).toEqual(
      expect.objectContaining({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }),
    );
    expect(logs.some((l) => l.level === 50)).toBe(true);
  });
});

describe('the DateTime scalar', () => {
  const dateTime = schema.getType('DateTime') as GraphQLScalarType;

  it.each([
    '-005000-01-01T00:00:00.000Z',
    '+200000-01-01T00:00:00.000Z',
    '0000-06-01T00:00:00.000Z',
    'yesterday',
    '2026-13-01T00:00:00.000Z',
  ])('rejects %s as BAD_USER_INPUT', (value) => {
    const thrown = (() => {
      try {
        dateTime.parseValue(value);
      } catch (err) {
        return err;
      }
    })();
    expect(thrown).toBeInstanceOf(GraphQLError);
    expect((thrown as GraphQLError).extensions.code).toBe('BAD_USER_INPUT');
  });

  it('accepts what it serializes', () => {
    expect((dateTime.parseValue('2026-11-26T17:30:00.000Z') as Date).toISOString()).toBe('2026-11-26T17:30:00.000Z');
    expect((dateTime.parseValue('0001-01-01T00:00:00Z') as Date).getUTCFullYear()).toBe(1);
  });
});
