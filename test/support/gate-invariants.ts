// The start gate's standing invariants (docs/behaviour.md#starting-an-operation), checked against the database
// as it is at the moment of the call. Each check is one query that returns the offending rows,
// so a failure names what broke instead of a bare count. They hold whenever no transition is in
// flight (between a run's end and its bootstrap steps' cancellation they may not): call them
// after an action has settled, as test/integration/gate-properties.test.ts does after each one.
import type { PrismaClient } from '../../src/generated/prisma/client.js';

export type Violation = { invariant: string; rows: unknown[] };

const ACTIVE = `('QUEUED', 'RUNNING')`;
const ENDED = `('SUCCEEDED', 'PARTIALLY_SUCCEEDED', 'FAILED', 'CANCELLED')`;

const CHECKS: readonly { invariant: string; sql: string }[] = [
  {
    invariant: 'at most one active (QUEUED or RUNNING) run per dedupe target',
    sql: `SELECT "dedupeKey", array_agg(id::text || ' ' || status::text) AS runs
          FROM "OperationRun" WHERE status IN ${ACTIVE} GROUP BY "dedupeKey" HAVING count(*) > 1`,
  },
  {
    invariant: 'never an exclusive run beside another active run on a tenant',
    sql: `SELECT "tenantId", array_agg(type::text || ' ' || status::text || ' ' || id::text) AS runs
          FROM "OperationRun" WHERE "parentId" IS NULL AND status IN ${ACTIVE}
          GROUP BY "tenantId" HAVING bool_or("scopeClass" = 'EXCLUSIVE') AND count(*) > 1`,
  },
  {
    // The bootstrap holds the tenant's scope until its last step ends, so no step outlives it.
    invariant: 'a bootstrap step is active only while its bootstrap is',
    sql: `SELECT s.id, s.status, p.id AS "parentId", p.status AS "parentStatus"
          FROM "OperationRun" s JOIN "OperationRun" p ON p.id = s."parentId"
          WHERE s.status IN ${ACTIVE} AND p.status NOT IN ${ACTIVE}`,
  },
  {
    invariant: 'a blocked run never ran, has no steps and is not a step',
    sql: `SELECT r.id, r."startedAt", r.attempts, r."parentId" FROM "OperationRun" r
          WHERE r.status = 'BLOCKED' AND (r."startedAt" IS NOT NULL OR r.attempts > 0 OR r."parentId" IS NOT NULL
                OR EXISTS (SELECT 1 FROM "OperationRun" c WHERE c."parentId" = r.id))`,
  },
  {
    invariant: 'a restore run stays READY while its execution is active',
    sql: `SELECT r.id, r.status, rr.id AS "restoreRunId", rr.status AS "restoreRunStatus" FROM "OperationRun" r
          JOIN "RestoreRun" rr ON rr.id = r."restoreRunId"
          WHERE r.type = 'RESTORE_EXECUTE' AND r.status IN ${ACTIVE} AND rr.status <> 'READY'`,
  },
  {
    invariant: 'a run has finishedAt exactly when it is no longer active',
    sql: `SELECT id, status, "finishedAt" FROM "OperationRun"
          WHERE ("finishedAt" IS NULL) <> (status IN ${ACTIVE})`,
  },
  {
    // A run that could not be dispatched answered the caller SERVICE_UNAVAILABLE: no notification.
    invariant: 'exactly one notification, to the initiator, per ended top-level run with an initiator',
    sql: `SELECT r.id, r.type, r.status, count(n.id)::int AS notifications FROM "OperationRun" r
          LEFT JOIN "Notification" n ON n."runId" = r.id AND n."userId" = r."initiatorId"
          WHERE r."parentId" IS NULL AND r."initiatorId" IS NOT NULL AND r.status IN ${ENDED}
            AND r."reasonCode" IS DISTINCT FROM 'DISPATCH_FAILED'
          GROUP BY r.id HAVING count(n.id) <> 1`,
  },
  {
    invariant:
      'no notification for an active, blocked, undispatched or system run, a bootstrap step, or anyone but the initiator',
    sql: `SELECT n.id, n."userId", r.id AS "runId", r.type, r.status, r."parentId", r."initiatorId" FROM "Notification" n
          JOIN "OperationRun" r ON r.id = n."runId"
          WHERE n."userId" IS DISTINCT FROM r."initiatorId" OR r."parentId" IS NOT NULL OR r.status NOT IN ${ENDED}
             OR r."reasonCode" = 'DISPATCH_FAILED'`,
  },
];

/** Every invariant that does not hold right now (empty when all hold). */
export async function gateInvariantViolations(prisma: PrismaClient): Promise<Violation[]> {
  const violations: Violation[] = [];
  for (const check of CHECKS) {
    const rows = await prisma.$queryRawUnsafe<unknown[]>(check.sql);
    if (rows.length) violations.push({ invariant: check.invariant, rows });
  }
  return violations;
}
