// The one classifier of "PostgreSQL is unreachable" (src/db/unavailable.ts), used by the workers
// to wait an outage out and by the API to answer SERVICE_UNAVAILABLE. Prisma's P1017 ("Server
// has closed the connection", adapter-pg's ECONNRESET) was not recognised: runs caught in a
// restart ended FAILED INTERNAL_ERROR, and the API answered INTERNAL_SERVER_ERROR.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { Prisma } from '../../src/generated/prisma/client.js';
import { isBackingServiceUnavailable, isDatabaseUnavailable } from '../../src/db/unavailable.js';

const prismaError = (message: string, code: string, meta?: Record<string, unknown>) =>
  new Prisma.PrismaClientKnownRequestError(message, { code, clientVersion: 'test', meta });
const socketError = (code: string) => Object.assign(new Error(`read ${code}`), { code, errno: -104, syscall: 'read' });
const serverError = (code: string, message: string) =>
  Object.assign(new pg.DatabaseError(message, message.length, 'error'), { code, severity: 'FATAL' });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['Prisma P1017', prismaError('Server has closed the connection.', 'P1017')],
    ["Prisma P1001 (can't reach)", prismaError("Can't reach database server at 127.0.0.1:5432", 'P1001')],
    ['the message of P1017 alone', new Error('Server has closed the connection.')],
    ['ECONNRESET on the socket', socketError('ECONNRESET')],
    ['ECONNRESET as a failed job keeps it (message only)', { message: 'read ECONNRESET' }],
    ['57P01 (server shut down)', serverError('57P01', 'terminating connection due to administrator command')],
    ['57P03 (starting up after a crash)', serverError('57P03', 'the database system is in recovery mode')],
    ['pg: connection ended', new Error('Connection terminated unexpectedly')],
    [
      'pg: a client that lost its connection',
      new Error('Client has encountered a connection error and is not queryable'),
    ],
    ['wrapped in a cause', new Error('run write failed', { cause: socketError('ECONNRESET') })],
    [
      "57P01 inside Prisma's driver adapter error",
      prismaError('Database error. Code: `57P01`.', 'P2039', {
        driverAdapterError: Object.assign(new Error('DriverAdapterError'), {
          cause: { kind: 'postgres', originalCode: '57P01' },
        }),
      }),
    ],
  ])('%s: unavailable', (_, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
    expect(isBackingServiceUnavailable(err)).toBe(true);
  });

  it.each([
    ['a unique violation (pg 23505)', serverError('23505', 'duplicate key value violates unique constraint "x"')],
    ['a unique violation (Prisma P2002)', prismaError('Unique constraint failed on the fields: (`id`)', 'P2002')],
    ['a missing database (P1003: a configuration fault)', prismaError('Database `x` does not exist', 'P1003')],
    ['a plain Error', new Error('boom')],
    ['nothing', undefined],
  ])('%s: not unavailable', (_, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
    expect(isBackingServiceUnavailable(err)).toBe(false);
  });

  it("ioredis's lost connection is a backing service down, not the database", () => {
    const err = new Error('Connection is closed.');
    expect([isDatabaseUnavailable(err), isBackingServiceUnavailable(err)]).toEqual([false, true]);
  });
});
