// RunLifecycle: the only code that creates operation runs or changes their status.
// Every transition is a conditional update (a run that already ended is never rewritten), and
// every transition that happened is published from here, after its transaction committed.
import { type Field, NOTIFICATION, RUN, TENANT, USER } from '../db/identifiers.js';
import { newRowId } from '../db/row-ids.js';
import { onConnection, type SqlTx } from '../db/sql.js';
import type { Logger } from '../logger.js';
import type pg from 'pg';
import type { OperationRun } from '../generated/prisma/client.js';
import type { OperationRunStatus, OperationType, ScopeClass } from '../generated/prisma/enums.js';
import { operation } from '../operations/catalogue.js';
import { notificationText } from '../operations/notifications.js';
import { type ReasonCode, type ReasonScope, translateReason } from '../operations/reasons.js';
import { ACTIVE_STATUSES, SQL_ACTIVE, type Summary, type TerminalStatus } from '../operations/status.js';
import { waitBriefly } from './bounded-wait.js';
import { commitInChangeOrder, insertInChangeOrder, type RunInsert, sqlLiteral } from './change-order.js';
import { END_HOOKS } from './end-hooks.js';
import type { RunEventPublisher } from './events.js';
import { runUrl } from '../operations/routes.js';

export type { Summary, TerminalStatus };

export type NewRun = {
  type: OperationType;
  tenantId: string;
  workspaceId: string;
  providerConnectionId: string | null;
  restoreRunId: string | null;
  initiatorId: string | null;
  dedupeKey: string;
  scopeClass: ScopeClass;
  scheduleId?: string | null;
};

export type RunEnd = {
  status: TerminalStatus;
  summary?: Partial<Summary>;
  reason?: { code: ReasonCode; step?: string };
  /** False when the initiator already got the answer synchronously (a start that could not be queued). */
  notify?: boolean;
};

/**
 * How a parent's end reaches its steps that had not ended: a cancel cancels them as cancelled by
 * the user, a failed step names itself on the steps after it, anything else passes its reason on.
 */
function stepsEnd(end: RunEnd): RunEnd {
  const reason =
    end.status === 'CANCELLED'
      ? { code: 'CANCELLED_BY_USER' as const }
      : end.reason?.code === 'BOOTSTRAP_STEP_FAILED'
        ? { code: 'CANCELLED_AFTER_FAILED_STEP' as const, step: end.reason.step }
        : { code: end.reason?.code ?? 'INTERNAL_ERROR' };
  return { status: 'CANCELLED', reason };
}

function reasonColumns(code: ReasonCode, scope: ReasonScope) {
  const reason = translateReason(code, scope);
  return { reasonCode: reason.code, reasonMessage: reason.message, reasonNextSteps: reason.nextSteps };
}

const scopeOf = (
  run: Pick<OperationRun, 'id' | 'tenantId' | 'providerConnectionId' | 'restoreRunId'>,
  step?: string,
  actor?: string | null,
): ReasonScope => ({
  runId: run.id,
  tenantId: run.tenantId,
  connectionId: run.providerConnectionId,
  restoreRunId: run.restoreRunId,
  step,
  actor: actor ?? undefined,
});

/** What a transition knows besides the run row: the tenant's name and who asked for a cancel. */
type Locked = { workspaceId: string; tenantName: string; cancellerName: string | null };

/** A committed change of one run, published after the commit. */
type Changed = { run: OperationRun; workspaceId: string; notificationId: string | null };

/** The columns of a run's end. */
function endColumns(current: OperationRun, locked: Locked, end: RunEnd): Partial<OperationRun> {
  return {
    status: end.status,
    finishedAt: new Date(),
    ...end.summary,
    ...(end.reason ? reasonColumns(end.reason.code, scopeOf(current, end.reason.step, locked.cancellerName)) : {}),
  };
}

/** Test hooks (like the gate's Racepoints): a pause once a transition holds its run's lock. */
export type LifecycleRacepoints = { afterLock?: (runId: string) => Promise<void> };

export class RunLifecycle {
  constructor(
    private readonly pool: pg.Pool,
    private readonly events: RunEventPublisher,
    private readonly publicAppUrl: string,
    private readonly log: Logger,
    private readonly racepoints: LifecycleRacepoints = {},
  ) {}

  /** A start refused by preflight: recorded so monitoring can tell it from a failure; never queued. */
  async recordBlocked(input: NewRun, code: ReasonCode): Promise<OperationRun> {
    const reason = reasonColumns(code, {
      tenantId: input.tenantId,
      connectionId: input.providerConnectionId,
      restoreRunId: input.restoreRunId,
    });
    const row = insertRow({ ...runColumns(input), id: newRowId(), parentId: null, step: null });
    const blocked: RunInsert = {
      columns: [...row.columns, 'status', 'finishedAt', 'reasonCode', 'reasonMessage', 'reasonNextSteps'],
      values: [
        ...row.values,
        `'BLOCKED'`,
        'now()',
        ...[reason.reasonCode, reason.reasonMessage, JSON.stringify(reason.reasonNextSteps)].map(sqlLiteral),
      ],
    };
    // One round trip: begin, insert (stamped as it is inserted) and commit in one batch.
    const [run] = await onConnection(this.pool, (tx) => insertInChangeOrder(tx, [blocked], ['BEGIN']));
    await this.publish(input.workspaceId, run);
    return run;
  }

  /**
   * For the gate's admission transaction (plain SQL: the hot path, see AdmissionStore): the QUEUED
   * run and, for a multi-step operation, its steps, with their values inlined: the admission
   * inserts them in the same round trip as its commit (insertInChangeOrder), the parent first, then
   * its steps in order (their changeIds grow along it).
   */
  queuedFamily(input: NewRun, stepKey: (parentId: string, step: number) => string): RunInsert[] {
    const id = newRowId();
    const rows = [
      insertRow({ ...input, id, parentId: null, step: null, scheduleId: input.scheduleId ?? null }),
      ...(operation(input.type).steps ?? []).map((type, i) =>
        insertRow({
          ...input,
          id: newRowId(),
          type,
          restoreRunId: null,
          dedupeKey: stepKey(id, i + 1),
          scopeClass: operation(type).scope,
          parentId: id,
          step: i + 1,
          scheduleId: null,
        }),
      ),
    ];
    const status: OperationRunStatus = 'QUEUED';
    return rows.map((row) => ({ columns: [...row.columns, 'status'], values: [...row.values, `'${status}'`] }));
  }

  /** After the admission transaction committed (`family` as insertInChangeOrder returned it): its runs are published. */
  async admitted(workspaceId: string, family: OperationRun[]): Promise<void> {
    for (const run of family) await this.publish(workspaceId, run);
  }

  /**
   * QUEUED (or RUNNING, on a retried attempt) -> RUNNING, counting an attempt unless `countAttempt`
   * is false (a bootstrap resumed for its step's retry). Null when the run already ended.
   */
  async markRunning(runId: string, countAttempt = true): Promise<OperationRun | null> {
    return this.transition(runId, ACTIVE_STATUSES, (current) => ({
      status: 'RUNNING',
      startedAt: current.startedAt ?? new Date(),
      attempts: current.attempts + (countAttempt ? 1 : 0),
    }));
  }

  /**
   * Any active state -> a terminal one, with summary and translated reason; notifies the initiator.
   * The one way a run family ends (failure, cancel, abandon, reconcile, a failed dispatch): in one
   * transaction the steps that had not ended are cancelled (stepsEnd), in step order, then the
   * parent ends; their events follow in that order, so the parent's end is its family's last event.
   */
  async finish(runId: string, end: RunEnd): Promise<OperationRun | null> {
    return this.transition(
      runId,
      ACTIVE_STATUSES,
      (current, locked) => endColumns(current, locked, end),
      (tx, run, locked) => this.ended(tx, run, locked, end.notify !== false),
      { steps: stepsEnd(end) },
    );
  }

  /**
   * A QUEUED run cancelled before any worker started it: QUEUED -> CANCELLED in one conditional
   * update, so a worker taking the job at the same moment loses in the database (its QUEUED ->
   * RUNNING finds the run ended) and never calls the provider. Null when the run had already left
   * QUEUED: the caller then treats it as running (or finished).
   */
  async cancelQueued(runId: string, byUserId: string): Promise<OperationRun | null> {
    return this.transition(
      runId,
      ['QUEUED'],
      (current, locked) => ({
        status: 'CANCELLED',
        finishedAt: new Date(),
        cancelRequestedAt: current.cancelRequestedAt ?? new Date(),
        cancelledById: current.cancelledById ?? byUserId,
        ...reasonColumns('CANCELLED_BY_USER', scopeOf(current, undefined, locked.cancellerName)),
      }),
      (tx, ended, locked) => this.ended(tx, ended, locked, true),
      { canceller: byUserId, steps: { status: 'CANCELLED', reason: { code: 'CANCELLED_BY_USER' } } },
    );
  }

  /**
   * Records a cancel request on an active run (the first requester stays) and publishes it; the
   * run keeps its status, and so its dedupe target and scope, until its worker stops. Null when
   * the run is no longer active.
   */
  async requestCancel(runId: string, byUserId: string): Promise<OperationRun | null> {
    return this.transition(
      runId,
      ACTIVE_STATUSES,
      (current) => ({
        cancelRequestedAt: current.cancelRequestedAt ?? new Date(),
        cancelledById: current.cancelledById ?? byUserId,
      }),
      undefined,
      { alsoChanged: (tx, parent) => this.reachSteps(tx, parent) },
    );
  }

  /** A bootstrap's cancel reaches its active steps too: they carry the same request and requester. */
  private async reachSteps(tx: SqlTx, parent: OperationRun): Promise<string[]> {
    const { rows } = await tx.query<{ id: string }>(
      `UPDATE ${RUN.t} SET ${RUN.c('cancelRequestedAt')} = COALESCE(${RUN.c('cancelRequestedAt')}, $2), ${RUN.c('cancelledById')} = COALESCE(${RUN.c('cancelledById')}, $3)
       WHERE ${RUN.c('parentId')} = $1 AND ${RUN.c('status')} IN ${SQL_ACTIVE} RETURNING ${RUN.c('id')} AS id, ${RUN.c('step')} AS step`,
      [parent.id, parent.cancelRequestedAt, parent.cancelledById],
    );
    return (rows as { id: string; step: number }[]).sort((a, b) => a.step - b.step).map((r) => r.id);
  }

  /** The counts so far of a run still in progress (a restore's applied items survive a lost worker). */
  async progress(runId: string, summary: Summary): Promise<OperationRun | null> {
    return this.transition(runId, ['RUNNING'], () => ({ ...summary }));
  }

  /** In the transaction that ended a run: its type's end hook, then the initiator's notification. */
  private async ended(tx: SqlTx, run: OperationRun, locked: Locked, notify: boolean): Promise<string | null> {
    await END_HOOKS[run.type]?.(tx, run);
    if (run.initiatorId && !run.parentId && notify) return this.notify(tx, run, locked);
    return null;
  }

  /** The run row exists but its job could not be queued: it must not stay QUEUED forever. */
  async failDispatch(runId: string): Promise<void> {
    await this.finish(runId, { status: 'FAILED', reason: { code: 'DISPATCH_FAILED' }, notify: false });
  }

  private async notify(tx: SqlTx, run: OperationRun, locked: Locked): Promise<string> {
    const { title, body } = notificationText(
      run,
      locked.tenantName,
      runUrl(this.publicAppUrl, run.id),
      locked.cancellerName,
    );
    const id = newRowId();
    const N = NOTIFICATION;
    await tx.query(
      `INSERT INTO ${N.t} (${N.c('id')}, ${N.c('userId')}, ${N.c('runId')}, ${N.c('title')}, ${N.c('body')}) VALUES ($1, $2, $3, $4, $5)`,
      [id, run.initiatorId, run.id, title, body],
    );
    return id;
  }

  /**
   * One transition, in plain SQL on the pool like the gate's admission (workers make several per
   * run; through the Prisma client each cost about ten times the CPU): lock the run, check it is
   * still in a `from` state, apply the change computed from the locked row, and whatever else
   * belongs to the same commit. With `steps`, the run's steps that have not ended end that way
   * first, in the same transaction (locked after their parent, as every family transition does).
   */
  private async transition(
    runId: string,
    from: readonly OperationRunStatus[],
    change: (current: OperationRun, locked: Locked) => Partial<OperationRun>,
    alsoInTx?: (tx: SqlTx, run: OperationRun, locked: Locked) => Promise<string | null>,
    options: {
      canceller?: string;
      steps?: RunEnd;
      /** Other runs of the family the change reached (by plain updates): stamped and published before the run. */
      alsoChanged?: (tx: SqlTx, run: OperationRun) => Promise<string[]>;
    } = {},
  ): Promise<OperationRun | null> {
    const committed = await onConnection(this.pool, async (tx) => {
      await tx.query('BEGIN');
      const parent = await this.lock(tx, runId, from, options.canceller ?? null);
      if (!parent) {
        await tx.query('ROLLBACK');
        return null;
      }
      await this.racepoints.afterLock?.(runId);
      const changed: Changed[] = [];
      if (options.steps && operation(parent.current.type).steps) {
        const stepEnd = options.steps;
        const pending = await tx.query<{ id: string }>(
          `SELECT ${RUN.c('id')} AS id FROM ${RUN.t} WHERE ${RUN.c('parentId')} = $1 AND ${RUN.c('status')} IN ${SQL_ACTIVE} ORDER BY ${RUN.c('step')} FOR NO KEY UPDATE`,
          [runId],
        );
        for (const { id } of pending.rows) {
          const step = await this.lock(tx, id, ACTIVE_STATUSES, null);
          if (!step) continue;
          changed.push(
            await this.apply(
              tx,
              step,
              (current, locked) => endColumns(current, locked, stepEnd),
              (t, run, locked) => this.ended(t, run, locked, false),
            ),
          );
        }
      }
      const own = await this.apply(tx, parent, change, alsoInTx);
      const reached = options.alsoChanged ? await options.alsoChanged(tx, own.run) : [];
      for (const id of reached)
        changed.push({ run: { id } as OperationRun, workspaceId: own.workspaceId, notificationId: null });
      changed.push(own);
      // The committed rows carry their changeIds: they are what gets published.
      const stamped = await commitInChangeOrder(
        tx,
        changed.map((c) => c.run.id),
      );
      return changed.map((c, i) => ({ ...c, run: stamped[i] }));
    });
    if (!committed) return null;
    for (const result of committed) {
      await this.publish(result.workspaceId, result.run);
      if (result.notificationId && result.run.initiatorId) {
        await this.safely(() =>
          this.events.notificationCreated({
            userId: result.run.initiatorId!,
            workspaceId: result.workspaceId,
            notificationId: result.notificationId!,
          }),
        );
      }
    }
    return committed[committed.length - 1].run;
  }

  /**
   * The run locked for update with what a transition needs besides it; null when it is not in a
   * `from` state. FOR NO KEY UPDATE (no transition changes a run's id): a step's own commit stamp
   * re-checks its foreign key to the parent (FOR KEY SHARE, because the step row is its own
   * transaction's version by then), and that must not wait on a parent locked by its family's end.
   */
  private async lock(
    tx: SqlTx,
    runId: string,
    from: readonly OperationRunStatus[],
    canceller: string | null,
  ): Promise<{ current: OperationRun; locked: Locked } | null> {
    const found = await tx.query<OperationRun & Locked>(
      `SELECT r.*, ${TENANT.c('workspaceId', 't')}, ${TENANT.c('name', 't')} AS "tenantName", ${USER.c('displayName', 'u')} AS "cancellerName"
       FROM ${RUN.t} r JOIN ${TENANT.t} t ON ${TENANT.c('id', 't')} = ${RUN.c('tenantId', 'r')}
       LEFT JOIN ${USER.t} u ON ${USER.c('id', 'u')} = COALESCE(${RUN.c('cancelledById', 'r')}, $2::uuid)
       WHERE ${RUN.c('id', 'r')} = $1 FOR NO KEY UPDATE OF r`,
      [runId, canceller],
    );
    const row = found.rows[0];
    if (!row || !from.includes(row.status)) return null;
    const { workspaceId, tenantName, cancellerName, ...current } = row;
    return { current, locked: { workspaceId, tenantName, cancellerName } };
  }

  private async apply(
    tx: SqlTx,
    { current, locked }: { current: OperationRun; locked: Locked },
    change: (current: OperationRun, locked: Locked) => Partial<OperationRun>,
    alsoInTx?: (tx: SqlTx, run: OperationRun, locked: Locked) => Promise<string | null>,
  ): Promise<Changed> {
    const patch = (Object.entries(change(current, locked)) as [Field<'OperationRun'>, unknown][])
      .filter(([, value]) => value !== undefined)
      .map(([column, value]) => [column, column === 'reasonNextSteps' ? JSON.stringify(value) : value] as const);
    const updated = await tx.query<OperationRun>(
      `UPDATE ${RUN.t} SET ${patch.map(([column], i) => `${RUN.c(column)} = $${i + 2}`).join(', ')} WHERE ${RUN.c('id')} = $1 RETURNING *`,
      [current.id, ...patch.map(([, value]) => value)],
    );
    const run = updated.rows[0];
    const notificationId = alsoInTx ? await alsoInTx(tx, run, locked) : null;
    return { run, workspaceId: locked.workspaceId, notificationId };
  }

  private async publish(workspaceId: string, run: OperationRun): Promise<void> {
    await this.safely(() => this.events.runUpdated({ workspaceId, run }));
  }

  /**
   * A lost realtime event must not undo a committed transition (clients catch up by querying), nor
   * may a slow Redis hold the caller: see waitBriefly.
   */
  private async safely(send: () => Promise<void>): Promise<void> {
    await waitBriefly(this.log, 'run event not published', {}, send);
  }
}

function runColumns(input: NewRun) {
  return {
    type: input.type,
    tenantId: input.tenantId,
    providerConnectionId: input.providerConnectionId,
    restoreRunId: input.restoreRunId,
    initiatorId: input.initiatorId,
    dedupeKey: input.dedupeKey,
    scopeClass: input.scopeClass,
    scheduleId: input.scheduleId ?? null,
  };
}

/** The columns an admission sets (the rest keep their defaults), in the order insertRow lists them. */
const INSERT_COLUMNS = [
  'id',
  'type',
  'tenantId',
  'providerConnectionId',
  'restoreRunId',
  'initiatorId',
  'dedupeKey',
  'scopeClass',
  'parentId',
  'step',
  'scheduleId',
] as const satisfies readonly Field<'OperationRun'>[];

type InsertRow = { [K in (typeof INSERT_COLUMNS)[number]]: unknown };

/** The admission's columns of a new run, with their values inlined (sqlLiteral). */
const insertRow = (row: InsertRow): RunInsert => ({
  columns: INSERT_COLUMNS,
  values: INSERT_COLUMNS.map((c) => sqlLiteral(row[c])),
});
