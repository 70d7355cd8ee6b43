// A run's changeId is a cursor in commit order (docs/behaviour.md#resuming-a-subscription): a client
// that has seen change c has been able to see every change committed before it. A sequence alone
// does not give that: a number is taken when a statement runs, and a transaction holding 7 can
// commit after one holding 8, so a reader that saw 8 and resumes "after 8" would never see 7.
//
// So the number is taken at commit, under one transaction-scoped advisory lock: the last thing a
// transaction that changed runs does is take the lock, stamp its runs from the sequence (a new
// run takes its number as it is inserted, under the lock), and commit, all in one round trip.
// The lock is released only after the commit is visible, so the next holder's numbers are larger
// and become visible later: numbers and commits share one order. The lock is taken last, by a
// transaction that only writes rows it already holds or creates, so it is held for a stamp (or
// an insert) and a commit. Updating a row its own transaction wrote makes PostgreSQL re-check
// the row's foreign keys (FOR KEY SHARE on the tenant, the parent run, ...): nothing in atlas-gate
// holds those rows FOR UPDATE (runs are locked FOR NO KEY UPDATE, see RunLifecycle.lock), so the
// stamp waits on nobody but a concurrent delete of what the run references.
import type { OperationRun } from '../generated/prisma/client.js';
import { type Field, RUN, TENANT } from '../db/identifiers.js';
import { reviveRun } from './events.js';
import type { SqlTx } from '../db/sql.js';
import pg from 'pg';

const { escapeLiteral } = pg;

/** A select-list item for a statement on runs: the run's tenant row as JSON, named `tenantAtChange` (revive with reviveRun). */
export const RUN_TENANT = `(SELECT row_to_json(t) FROM ${TENANT.t} t WHERE t.${TENANT.c('id')} = ${RUN.t}.${RUN.c('tenantId')}) AS "tenantAtChange"`;

/** Any constant works: advisory locks are per database, and nothing else in atlas-gate takes this one. */
export const CHANGE_ORDER_LOCK = 7_311_004_211;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const TAKE_LOCK = `SELECT pg_advisory_xact_lock(${CHANGE_ORDER_LOCK})`;
const NEXT_CHANGE_ID = `nextval(pg_get_serial_sequence('${RUN.t}', 'changeId'))`;

/**
 * Stamps `runIds` (in this order: the changeIds they get grow along it) and commits the open
 * transaction. Returns the runs as committed, in the same order, each with its `tenantAtChange` row.
 */
export async function commitInChangeOrder(tx: SqlTx, runIds: readonly string[]): Promise<OperationRun[]> {
  if (runIds.length === 0) {
    await tx.query('COMMIT');
    return [];
  }
  for (const id of runIds) if (!UUID.test(id)) throw new Error(`not a run id: ${id}`);
  // Checked UUIDs inlined: a simple-protocol batch takes no parameters, and this is one round trip.
  // Each run comes back with its tenant row as of this commit: the event carries it (events.ts).
  const stamps = runIds.map(
    (id) =>
      `UPDATE ${RUN.t} SET ${RUN.c('changeId')} = ${NEXT_CHANGE_ID} WHERE ${RUN.c('id')} = '${id}' RETURNING *, ${RUN_TENANT}`,
  );
  const results = (await tx.query(
    [TAKE_LOCK, ...stamps, 'COMMIT'].join('; '),
  )) as unknown as pg.QueryResult<OperationRun>[];
  return runIds.map((id, i) => {
    const row = results[i + 1].rows[0];
    if (!row) throw new Error(`run ${id} vanished before its change was stamped`);
    return reviveRun(row);
  });
}

/** A run to insert: its columns and their values as SQL text (sqlLiteral, or an expression such as now()). */
export type RunInsert = { columns: readonly Field<'OperationRun'>[]; values: readonly string[] };

/**
 * Inserts `runs` (in this order: their changeIds grow along it) and commits the open transaction;
 * `opening` (BEGIN, say) is sent first, in the same round trip. Each run takes its changeId as it
 * is inserted, under the change-order lock, so a new run needs no stamp of its own: stamping it
 * afterwards wrote every new run twice (an UPDATE of a row is a second version of it in each of
 * the table's indexes, and re-checks its foreign keys). The lock is held for the inserts and the
 * commit; an insert checks its foreign keys as a stamp re-checks them, so it waits on nobody a
 * stamp would not. Returns the runs as committed, in order, each with its `tenantAtChange` row.
 */
export async function insertInChangeOrder(
  tx: SqlTx,
  runs: readonly RunInsert[],
  opening: readonly string[] = [],
): Promise<OperationRun[]> {
  if (runs.length === 0) {
    await tx.query([...opening, 'COMMIT'].join('; '));
    return [];
  }
  const inserts = runs.map(({ columns, values }) => {
    if (columns.length !== values.length) throw new Error('a run insert needs one value per column');
    return `INSERT INTO ${RUN.t} (${columns.map((c) => RUN.c(c)).join(', ')}, ${RUN.c('changeId')})
      VALUES (${values.join(', ')}, ${NEXT_CHANGE_ID}) RETURNING *, ${RUN_TENANT}`;
  });
  const results = (await tx.query(
    [...opening, TAKE_LOCK, ...inserts, 'COMMIT'].join('; '),
  )) as unknown as pg.QueryResult<OperationRun>[];
  return runs.map((_, i) => reviveRun(results[opening.length + 1 + i].rows[0]));
}

/**
 * A value inlined into a simple-protocol batch (which takes no parameters): NULL, an integer, or a
 * string quoted by pg's escapeLiteral (quotes doubled; backslashes doubled in an E'' literal, so it
 * reads the same whatever standard_conforming_strings says). Anything else is refused.
 */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'string') return escapeLiteral(value);
  throw new Error(`cannot inline a ${typeof value} into SQL`);
}

/** changeIds travel as decimal strings (pg returns int8 as one; Prisma as a bigint). */
export const changeIdText = (value: bigint | string | number): string => String(value);

/** A well-formed cursor: what changeIdText produces. Anything else is the client's mistake. */
export const isChangeId = (value: string): boolean => /^(0|[1-9]\d{0,18})$/.test(value) && BigInt(value) < 2n ** 63n;

/** Whether changeId `a` names a later change than `b` (both well-formed). */
export const changeIdAfter = (a: string, b: string): boolean => (a.length !== b.length ? a.length > b.length : a > b);
