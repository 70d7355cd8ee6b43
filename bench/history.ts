// The history phase of `npm run bench` (issue 23): an MSP's accumulated runs, loaded by bulk SQL
// (terminal runs spread over the bench's tenants and 90 days, a notification for one in ten, most of
// them read), so the accepted-start and monitor phases can be measured again on a full database and
// compared with the same phases on an empty one, in the same run.
import pg from 'pg';
import type { Viewer } from '../src/auth/viewer.js';
import { createPool, createPrisma } from '../src/db/prisma.js';
import { SQL_ACTIVE } from '../src/operations/status.js';
import { listRuns, type RunFilter } from '../src/runs/monitoring.js';
import { withDb } from './db.js';

export type HistoryLoad = { runs: number; notifications: number; tenants: number; seconds: number };

const TYPES = ['TENANT_VERIFICATION', 'DIRECTORY_GROUPS_SYNC', 'ROLE_DEFINITIONS_SYNC', 'PROVIDER_CONNECTION_CHECK'];
// Mostly successes, as in practice; a share of each other ending.
const STATUSES = [...Array(14).fill('SUCCEEDED'), 'PARTIALLY_SUCCEEDED', 'FAILED', 'FAILED', 'BLOCKED', 'CANCELLED'];

/** Inserts `runs` terminal runs over `tenantIds` and 90 days, in chunks, then ANALYZE. */
export async function loadHistory(
  databaseUrl: string,
  tenantIds: string[],
  initiatorId: string,
  runs: number,
  /** The number of the first run (history loaded in steps: 'history:<n>' keys stay distinct). */
  first = 0,
): Promise<HistoryLoad> {
  const started = performance.now();
  return withDb(databaseUrl, async (db) => {
    const chunk = 100_000;
    for (let from = first; from < first + runs; from += chunk) {
      const to = Math.min(first + runs, from + chunk) - 1;
      await db.query(
        `INSERT INTO "OperationRun" (id, type, status, "tenantId", "initiatorId", "dedupeKey", "scopeClass",
           total, succeeded, failed, attempts, "createdAt", "startedAt", "finishedAt")
         SELECT gen_random_uuid(), ($3::text[])[1 + i % array_length($3::text[], 1)]::"OperationType",
                ($4::text[])[1 + (i / 7) % array_length($4::text[], 1)]::"OperationRunStatus",
                ($5::uuid[])[1 + i % array_length($5::uuid[], 1)],
                CASE WHEN i % 3 = 0 THEN NULL ELSE $6::uuid END,
                'history:' || i, 'SHARED', 40, 38, 2, 1, at, at + interval '1 second', at + interval '20 seconds'
         FROM (SELECT i, now() - interval '90 days' * random() - interval '1 minute' AS at
               FROM generate_series($1::int, $2::int) i) g`,
        [from, to, TYPES, STATUSES, tenantIds, initiatorId],
      );
    }
    // One notification for one run in ten that has an initiator, nine in ten of them read.
    const { rowCount } = await db.query(
      `INSERT INTO "Notification" (id, "userId", "runId", title, body, "readAt", "createdAt")
       SELECT gen_random_uuid(), r."initiatorId", r.id, 'History run ended', '',
              CASE WHEN random() < 0.9 THEN r."finishedAt" + interval '1 hour' END, r."finishedAt"
       FROM "OperationRun" r
       WHERE r."dedupeKey" LIKE 'history:%' AND r."initiatorId" IS NOT NULL AND random() < 0.1
         AND NOT EXISTS (SELECT 1 FROM "Notification" n WHERE n."runId" = r.id)`,
    );
    // A history that grew over 90 days has been vacuumed and checkpointed long since: measure that,
    // not the minute after a bulk load (autovacuum and a checkpoint running under the next phase).
    for (const statement of ['VACUUM ANALYZE "OperationRun"', 'VACUUM ANALYZE "Notification"', 'CHECKPOINT'])
      await db.query(statement);
    return {
      runs,
      notifications: rowCount ?? 0,
      tenants: tenantIds.length,
      seconds: Math.round((performance.now() - started) / 100) / 10,
    };
  });
}

/** Every run still active ends CANCELLED (by SQL): the next accepted-start phase may start the same tenants again. */
export async function endActiveRuns(databaseUrl: string): Promise<void> {
  await withDb(databaseUrl, (db) =>
    db.query(`UPDATE "OperationRun" SET status = 'CANCELLED', "finishedAt" = now() WHERE status IN ${SQL_ACTIVE}`),
  );
}

/** `EXPLAIN (ANALYZE, BUFFERS)` of a statement, as text lines. */
export async function explain(databaseUrl: string, sql: string, params: unknown[] = []): Promise<string[]> {
  const { rows } = await withDb(databaseUrl, (db) => db.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params));
  return rows.map((r) => r['QUERY PLAN'] as string);
}

/**
 * The SQL that `operationRuns` runs for `filter` (captured from the Prisma client as it sends it),
 * and its `EXPLAIN (ANALYZE, BUFFERS)`.
 */
export async function monitorQueryPlan(databaseUrl: string, viewer: Viewer, filter: RunFilter): Promise<string[]> {
  const pool = createPool(databaseUrl, 1);
  const prisma = createPrisma(pool);
  let captured: { text: string; values: unknown[] } | null = null;
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const q = args[0] as string | { text: string; values?: unknown[] };
    const text = typeof q === 'string' ? q : q.text;
    if (/FROM "public"\."OperationRun"/.test(text))
      captured ??= { text, values: (typeof q === 'string' ? (args[1] as unknown[]) : q.values) ?? [] };
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  try {
    await listRuns(prisma, viewer, filter, 20, null);
  } finally {
    pg.Client.prototype.query = query;
    await prisma.$disconnect();
    await pool.end();
  }
  if (!captured) throw new Error('no operationRuns query captured');
  const { text, values } = captured as { text: string; values: unknown[] };
  return [text.replace(/\s+/g, ' '), ...(await explain(databaseUrl, text, values))];
}
