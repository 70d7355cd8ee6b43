// The one SchemaBuilder: plugins, scalars and the typed context. Domain types live in ./schema/.
import SchemaBuilder from '@pothos/core';
import PrismaPlugin from '@pothos/plugin-prisma';
import { GraphQLError, Kind } from 'graphql';
import type PrismaTypes from '../generated/pothos-types.js';
import { getDatamodel } from '../generated/pothos-types.js';
import type { GraphQLContext } from './context.js';

export const builder = new SchemaBuilder<{
  PrismaTypes: PrismaTypes;
  Context: GraphQLContext;
  Scalars: { DateTime: { Input: Date; Output: Date | string } };
  DefaultFieldNullability: false;
}>({
  plugins: [PrismaPlugin],
  defaultFieldNullability: false,
  prisma: {
    // The client differs per process and per test; resolvers reach it through the context.
    client: (ctx) => ctx.services.prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    onUnusedQuery: null,
  },
});

/** ISO 8601 UTC with milliseconds, e.g. 2026-11-26T17:30:00.000Z (docs/behaviour.md#errors-and-limits). */
builder.scalarType('DateTime', {
  description: 'ISO 8601 UTC timestamp with milliseconds, e.g. 2026-11-26T17:30:00.000Z',
  serialize: (value) => new Date(value).toISOString(),
  parseValue: (value) => parseDate(value),
  parseLiteral: (ast) => parseDate(ast.kind === Kind.STRING ? ast.value : null),
});

// A date PostgreSQL can store: JavaScript parses years it cannot (e.g. -5000 or 200000), and
// those must be the client's BAD_USER_INPUT, not a database error.
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

function parseDate(value: unknown): Date {
  const date = typeof value === 'string' && ISO_DATE.test(value) ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1 || date.getUTCFullYear() > 9999) {
    throw new GraphQLError(
      'DateTime must be an ISO 8601 string between years 0001 and 9999, e.g. 2026-11-26T17:30:00.000Z',
      {
        extensions: { code: 'BAD_USER_INPUT' },
      },
    );
  }
  return date;
}

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
