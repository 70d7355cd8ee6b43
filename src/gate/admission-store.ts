// AdmissionStore: the gate's reads and its admission transaction, in plain SQL on the shared
// pg pool. This is the hot path of every start. Through the Prisma client each query cost
// 1.3-1.7 ms of CPU against 0.35 ms here, and on these machines every round trip's socket
// write is expensive too, so the store answers a start in as few round trips as it can: one
// to resolve the target together with its tenant's active runs, three to admit (see README
// "Performance"). Everything else about runs stays in Prisma.
import type pg from 'pg';
import type { OperationRun, ProviderConnection, Tenant } from '../generated/prisma/client.js';
import { getDatamodel } from '../generated/pothos-types.js';
import type {
  CredentialState,
  Provider as ProviderName,
  RestoreRunStatus,
  TenantStatus,
} from '../generated/prisma/enums.js';
import { CONNECTION, RESTORE, RUN, TENANT } from '../db/identifiers.js';
import { onConnection } from '../db/sql.js';
import { isUuid } from '../errors.js';
import { SQL_ACTIVE } from '../operations/status.js';
import { reviveRun } from '../runs/events.js';
import { insertInChangeOrder, type RunInsert } from '../runs/change-order.js';

export type GateTenant = { id: string; workspaceId: string; status: TenantStatus };
export type GateConnection = {
  id: string;
  provider: ProviderName;
  enabled: boolean;
  credentialState: CredentialState;
  isDefault: boolean;
};
export type GateRestoreRun = { id: string; status: RestoreRunStatus };
/** A target read for previews: its connections are whole rows. */
export type PreviewTarget = Omit<GateTarget, 'connections'> & { connections: ProviderConnection[] };
/** What a start names, resolved: its tenant, the tenant's connections and active top-level runs. */
export type GateTarget = {
  tenant: GateTenant;
  connections: GateConnection[];
  restoreRun: GateRestoreRun | null;
  activeRuns: OperationRun[];
};

const ACTIVE_RUNS = (tenant: string) =>
  `SELECT * FROM ${RUN.t} WHERE ${RUN.c('tenantId')} = ${tenant} AND ${RUN.c('parentId')} IS NULL AND ${RUN.c('status')} IN ${SQL_ACTIVE}
   ORDER BY ${RUN.c('createdAt')}, ${RUN.c('id')}`;

const T = TENANT;
const C = CONNECTION;
const connectionJson = (['id', 'provider', 'enabled', 'credentialState', 'isDefault'] as const)
  .map((f) => `'${f}', ${C.c(f, 'c')}`)
  .join(', ');
/** `connection`: the JSON of one connection row `c`, as much of it as the caller needs. */
const targetColumns = (connection: string) => `
  ${T.c('id', 't')}, ${T.c('workspaceId', 't')}, ${T.c('status', 't')},
  COALESCE((SELECT json_agg(${connection})
            FROM ${C.t} c WHERE ${C.c('tenantId', 'c')} = ${T.c('id', 't')}), '[]') AS connections,
  COALESCE((SELECT json_agg(a) FROM (${ACTIVE_RUNS(T.c('id', 't'))}) a), '[]') AS "activeRuns"`;
const TARGET_COLUMNS = targetColumns(`json_build_object(${connectionJson})`);
const TENANT_TARGET = {
  name: 'atlas_tenant_target',
  text: `SELECT ${TARGET_COLUMNS} FROM ${T.t} t WHERE ${T.c('id', 't')} = $1`,
};
const RESTORE_RUN_TARGET = {
  name: 'atlas_restore_run_target',
  text: `SELECT ${TARGET_COLUMNS}, ${RESTORE.c('id', 'r')} AS "restoreRunId", ${RESTORE.c('status', 'r')} AS "restoreRunStatus"
    FROM ${RESTORE.t} r JOIN ${T.t} t ON ${T.c('id', 't')} = ${RESTORE.c('tenantId', 'r')} WHERE ${RESTORE.c('id', 'r')} = $1`,
};
const CONNECTION_TARGET = {
  name: 'atlas_connection_target',
  text: `SELECT ${TARGET_COLUMNS} FROM ${C.t} pc JOIN ${T.t} t ON ${T.c('id', 't')} = ${C.c('tenantId', 'pc')} WHERE ${C.c('id', 'pc')} = $1`,
};
/**
 * Previews show the connection a start would pin, so they read whole connection rows with the
 * rest of the target: one snapshot, never a connection newer than the answer it comes with.
 */
const PREVIEW_TARGET_COLUMNS = targetColumns('c');

/** The connection's DateTime fields, read from the Prisma datamodel (JSON carries them as strings). */
const CONNECTION_DATE_FIELDS = getDatamodel()
  .datamodel.models.ProviderConnection.fields.filter((f) => f.kind === 'scalar' && f.type === 'DateTime')
  .map((f) => f.name as keyof ProviderConnection);

function reviveConnection(row: ProviderConnection): ProviderConnection {
  for (const key of CONNECTION_DATE_FIELDS) {
    const value = row[key] as unknown;
    if (typeof value === 'string') (row as Record<string, unknown>)[key] = new Date(value);
  }
  return row;
}

type TargetRow = GateTenant & {
  connections: GateConnection[];
  activeRuns: OperationRun[];
  restoreRunId?: string;
  restoreRunStatus?: RestoreRunStatus;
};

const toTarget = (row: TargetRow | undefined): GateTarget | null =>
  row
    ? {
        tenant: { id: row.id, workspaceId: row.workspaceId, status: row.status },
        connections: row.connections,
        restoreRun: row.restoreRunId ? { id: row.restoreRunId, status: row.restoreRunStatus! } : null,
        activeRuns: row.activeRuns.map(reviveRun),
      }
    : null;

/**
 * The admission transaction's lock and read as SQL-level prepared statements: a simple-protocol
 * batch (one round trip with BEGIN) cannot use the protocol's named statements, and planning both
 * on every start cost the PostgreSQL backend 0.08-0.10 ms of the batch's 0.25 (one connection).
 * Each pooled connection prepares them in its first admission's batch. A prepared statement
 * outlives a failed batch (PREPARE is not transactional) and runs first in it, so a connection is
 * counted as prepared from then on: one whose batch never ran is broken and leaves the pool.
 */
const LOCK_TENANT = 'atlas_admission_lock_tenant';
const LOCKED_ACTIVE_RUNS = 'atlas_admission_active_runs';
const PREPARE_ADMISSION = [
  `PREPARE ${LOCK_TENANT}(uuid) AS SELECT 1 FROM ${T.t} WHERE ${T.c('id')} = $1 FOR NO KEY UPDATE`,
  // As JSON, like the target read's: a prepared `SELECT *` would fail ("cached plan must not change
  // result type") once a migration adds a column under a running process.
  `PREPARE ${LOCKED_ACTIVE_RUNS}(uuid) AS SELECT COALESCE((SELECT json_agg(a) FROM (${ACTIVE_RUNS('$1')}) a), '[]') AS "activeRuns"`,
].join('; ');
const prepared = new WeakSet<object>();
const prepareOnce = (tx: object): string => {
  if (prepared.has(tx)) return '';
  prepared.add(tx);
  return `${PREPARE_ADMISSION}; `;
};

export class AdmissionStore {
  constructor(private readonly pool: pg.Pool) {}

  async tenantTarget(tenantId: string): Promise<GateTarget | null> {
    return this.target(TENANT_TARGET, tenantId);
  }

  async restoreRunTarget(restoreRunId: string): Promise<GateTarget | null> {
    return this.target(RESTORE_RUN_TARGET, restoreRunId);
  }

  async connectionTarget(connectionId: string): Promise<GateTarget | null> {
    return this.target(CONNECTION_TARGET, connectionId);
  }

  /**
   * A start's target read, as a named statement: each pooled connection parses and plans it once,
   * then only binds the id (planning it on every start cost PostgreSQL 0.2 ms of its 0.3 ms).
   */
  private async target(statement: { name: string; text: string }, id: string): Promise<GateTarget | null> {
    const { rows } = await this.pool.query<TargetRow>({ ...statement, values: [id] });
    return toTarget(rows[0]);
  }

  /**
   * The same targets for many ids in one query each (start previews of a tenant list): keyed by
   * the id asked for; ids that name nothing (or are not UUIDs) are absent.
   */
  async tenantTargets(tenantIds: readonly string[]): Promise<Map<string, PreviewTarget>> {
    return this.targetsBy(`${T.t} t`, T.c('id', 't'), tenantIds);
  }

  async restoreRunTargets(restoreRunIds: readonly string[]): Promise<Map<string, PreviewTarget>> {
    return this.targetsBy(
      `${RESTORE.t} r JOIN ${T.t} t ON ${T.c('id', 't')} = ${RESTORE.c('tenantId', 'r')}`,
      RESTORE.c('id', 'r'),
      restoreRunIds,
      `, ${RESTORE.c('id', 'r')} AS "restoreRunId", ${RESTORE.c('status', 'r')} AS "restoreRunStatus"`,
    );
  }

  async connectionTargets(connectionIds: readonly string[]): Promise<Map<string, PreviewTarget>> {
    return this.targetsBy(
      `${C.t} pc JOIN ${T.t} t ON ${T.c('id', 't')} = ${C.c('tenantId', 'pc')}`,
      C.c('id', 'pc'),
      connectionIds,
    );
  }

  private async targetsBy(
    from: string,
    key: string,
    ids: readonly string[],
    extra = '',
  ): Promise<Map<string, PreviewTarget>> {
    const wanted = [...new Set(ids.filter(isUuid))];
    if (wanted.length === 0) return new Map();
    const { rows } = await this.pool.query<TargetRow & { key: string; connections: ProviderConnection[] }>(
      `SELECT ${key} AS "key", ${PREVIEW_TARGET_COLUMNS}${extra} FROM ${from} WHERE ${key} = ANY($1::uuid[])`,
      [wanted],
    );
    return new Map(
      rows.map((row) => [row.key, { ...toTarget(row)!, connections: row.connections.map(reviveConnection) }]),
    );
  }

  /**
   * Tenant rows by id, in plain SQL (a run's `tenant` in every run a response or a subscription
   * group resolves: through the Prisma client each read cost several times the CPU).
   */
  async tenantsByIds(ids: readonly string[]): Promise<Map<string, Tenant>> {
    const wanted = [...new Set(ids.filter(isUuid))];
    if (wanted.length === 0) return new Map();
    const { rows } = await this.pool.query<Tenant>(`SELECT * FROM ${T.t} WHERE ${T.c('id')} = ANY($1::uuid[])`, [
      wanted,
    ]);
    return new Map(rows.map((row) => [row.id, row]));
  }

  /** The tenant's active top-level runs, oldest first (bootstrap steps are held by their parent). */
  async activeRuns(tenantId: string): Promise<OperationRun[]> {
    const { rows } = await this.pool.query<OperationRun>(ACTIVE_RUNS('$1'), [tenantId]);
    return rows;
  }

  /**
   * Runs `admit` in a transaction that holds the tenant row, with the tenant's active runs as
   * seen after the lock was granted. FOR NO KEY UPDATE: admissions on one tenant queue behind
   * each other, while inserts that merely reference the tenant do not. BEGIN, the lock and the
   * read go in one round trip (a simple-protocol batch of prepared statements; in READ COMMITTED
   * each statement takes a fresh snapshot, so the read sees every run committed before the lock
   * was granted).
   */
  async withTenantLocked<T>(
    tenantId: string,
    admit: (activeRuns: OperationRun[]) => Promise<T>,
    /** The runs the admission creates (inserted with their changeIds and committed in one round trip). */
    inserts: (admitted: T) => readonly RunInsert[],
  ): Promise<{ admitted: T; committed: OperationRun[] }> {
    if (!isUuid(tenantId)) throw new Error('tenant id must be a UUID');
    const tenant = `'${tenantId}'`; // a checked UUID: safe to inline in the batch
    return onConnection(this.pool, async (tx) => {
      const results = (await tx.query(
        `${prepareOnce(tx)}BEGIN; EXECUTE ${LOCK_TENANT}(${tenant}); EXECUTE ${LOCKED_ACTIVE_RUNS}(${tenant})`,
      )) as unknown as pg.QueryResult<{ activeRuns: OperationRun[] }>[];
      const admitted = await admit(results[results.length - 1].rows[0].activeRuns.map(reviveRun));
      // The runs take their changeIds as they are inserted (docs/behaviour.md#resuming-a-subscription).
      const committed = await insertInChangeOrder(tx, inserts(admitted));
      return { admitted, committed };
    });
  }
}
