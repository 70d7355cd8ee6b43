// StartGate: the one admission path for every provider-backed start (CONTRACT.md section 3).
// Read top to bottom, it follows the contract's order: resolve the target (NOT_FOUND), check the
// capability (FORBIDDEN), preflight (BLOCKED, recorded, never queued), answer deduped / scope
// busy from a plain read, and only then admit under the tenant's scope lock, with Postgres as
// the last fence, and dispatch the job.
import type { Logger } from '../logger.js';
import type { OperationRun, PrismaClient, ProviderConnection, RestoreRun, Tenant } from '../generated/prisma/client.js';
import type { OperationType, Role } from '../generated/prisma/enums.js';
import { forbidden, isUuid, notFound, serviceUnavailable } from '../errors.js';
import type { JobDispatcher } from '../jobs/dispatch.js';
import type { RunLifecycle } from '../runs/lifecycle.js';
import type { BlockReasonCode } from './block-reasons.js';
import { preflight } from './preflight.js';
import { ACTIVE_STATUSES, type OperationDefinition, operation, stepDedupeKey } from './registry.js';
import { type ScopeLock, ScopeLockUnavailable } from './scope-lock.js';

export type StartRequest = {
  type: OperationType;
  tenantId?: string;
  restoreRunId?: string;
  providerConnectionId?: string | null;
};

/** Who is starting: a user with their role in each workspace, or the system (scheduled runs). */
export type Initiator = { userId: string; roles: ReadonlyMap<string, Role> } | typeof SYSTEM;

/** Scheduled and system starts: no initiator (so no notification), every workspace, every capability. */
export const SYSTEM = { userId: null, roles: null } as const;

const canSee = (initiator: Initiator, workspaceId: string) => initiator.roles === null || initiator.roles.has(workspaceId);

export type StartOutcome =
  | { status: 'QUEUED'; op: OperationDefinition; run: OperationRun }
  | { status: 'ALREADY_RUNNING'; op: OperationDefinition; run: OperationRun }
  | { status: 'SCOPE_BUSY'; op: OperationDefinition; blockingRun: OperationRun }
  | { status: 'BLOCKED'; op: OperationDefinition; run: OperationRun; reason: BlockReasonCode };

type Target = {
  tenant: Tenant;
  restoreRun: RestoreRun | null;
  connection: ProviderConnection | null;
  role: Role | 'SYSTEM' | undefined;
};

/** Test seam: named pauses inside the admission, for deterministic race tests. */
export type Racepoints = { beforeInsert?: (req: StartRequest) => Promise<void> };

export type StartGateOptions = { lockWaitMs?: number; dispatchTimeoutMs?: number; racepoints?: Racepoints };

export class StartGate {
  private readonly lockWaitMs: number;
  private readonly dispatchTimeoutMs: number;
  private readonly racepoints: Racepoints;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly lifecycle: RunLifecycle,
    private readonly scopeLock: ScopeLock,
    private readonly dispatcher: JobDispatcher,
    private readonly log: Logger,
    options: StartGateOptions = {},
  ) {
    this.lockWaitMs = options.lockWaitMs ?? 3_000;
    this.dispatchTimeoutMs = options.dispatchTimeoutMs ?? 3_000;
    this.racepoints = options.racepoints ?? {};
  }

  async start(initiator: Initiator, req: StartRequest): Promise<StartOutcome> {
    const op = operation(req.type);

    // 2. The target exists and the caller is a member of its workspace (same answer for both).
    const target = await this.resolveTarget(op, req, initiator);

    // 3. Capability.
    if (target.role !== 'SYSTEM' && !(target.role && op.roles.includes(target.role))) throw forbidden(op.verb);

    const run = {
      type: op.type,
      tenantId: target.tenant.id,
      workspaceId: target.tenant.workspaceId,
      providerConnectionId: target.connection?.id ?? null,
      restoreRunId: target.restoreRun?.id ?? null,
      initiatorId: initiator.userId,
      scopeClass: op.scope,
      dedupeKey: op.dedupeKey({ tenantId: target.tenant.id, connectionId: target.connection?.id ?? null, restoreRunId: target.restoreRun?.id ?? null }),
    };

    // 4. Preflight: a start bound to fail is recorded as BLOCKED and never queued.
    const block = preflight(op, target);
    if (block) return { status: 'BLOCKED', op, reason: block, run: await this.lifecycle.recordBlocked(run, block) };

    // 5. Deduped or scope busy, answered from a plain read: a burst on a busy tenant never queues for the lock.
    const early = await this.activeConflict(this.prisma, op, run.tenantId, run.dedupeKey);
    if (early) return early;

    // 6. Admission under the scope lock.
    const admitted = await this.admit(op, req, run);
    if (admitted.status === 'QUEUED') await this.dispatch(admitted.run);
    return admitted;
  }

  private async resolveTarget(op: OperationDefinition, req: StartRequest, initiator: Initiator): Promise<Target> {
    const connectionId = req.providerConnectionId ?? null;
    if (connectionId !== null && !isUuid(connectionId)) throw notFound('Provider connection');

    let tenant: (Tenant & { providerConnections: ProviderConnection[] }) | null = null;
    let restoreRun: RestoreRun | null = null;
    if (op.target === 'providerConnection') {
      if (!connectionId) throw notFound('Provider connection');
      const found = await this.prisma.providerConnection.findUnique({
        where: { id: connectionId },
        include: { tenant: { include: { providerConnections: true } } },
      });
      tenant = found?.tenant ?? null;
      if (!tenant || !canSee(initiator, tenant.workspaceId)) throw notFound('Provider connection');
    } else if (op.target === 'restoreRun') {
      if (!req.restoreRunId || !isUuid(req.restoreRunId)) throw notFound('Restore run');
      const found = await this.prisma.restoreRun.findUnique({
        where: { id: req.restoreRunId },
        include: { tenant: { include: { providerConnections: true } } },
      });
      if (!found || !canSee(initiator, found.tenant.workspaceId)) throw notFound('Restore run');
      const { tenant: owner, ...row } = found;
      tenant = owner;
      restoreRun = row;
    } else {
      if (!req.tenantId || !isUuid(req.tenantId)) throw notFound('Tenant');
      tenant = await this.prisma.tenant.findUnique({ where: { id: req.tenantId }, include: { providerConnections: true } });
      if (!tenant || !canSee(initiator, tenant.workspaceId)) throw notFound('Tenant');
    }

    // An explicit connection must belong to the target tenant; otherwise the tenant's default.
    const connections = tenant.providerConnections;
    const connection = connectionId ? connections.find((c) => c.id === connectionId) : connections.find((c) => c.isDefault);
    if (connectionId && !connection) throw notFound('Provider connection');

    const { providerConnections: _, ...tenantRow } = tenant;
    const role = initiator.roles === null ? 'SYSTEM' : initiator.roles.get(tenant.workspaceId);
    return { tenant: tenantRow, restoreRun, connection: connection ?? null, role };
  }

  /**
   * The answer an active run on the tenant gives: the same dedupe target is ALREADY_RUNNING;
   * otherwise an exclusive run blocks everything and any run blocks an exclusive start.
   * Bootstrap steps are not looked at: their parent holds the scope for them.
   */
  private async activeConflict(
    db: Pick<PrismaClient, 'operationRun'>,
    op: OperationDefinition,
    tenantId: string,
    dedupeKey: string,
  ): Promise<StartOutcome | null> {
    const active = await db.operationRun.findMany({
      where: { tenantId, parentId: null, status: { in: [...ACTIVE_STATUSES] } },
      orderBy: { createdAt: 'asc' },
    });
    const same = active.find((r) => r.dedupeKey === dedupeKey);
    if (same) return { status: 'ALREADY_RUNNING', op, run: same };
    const conflict = active.find((r) => r.scopeClass === 'EXCLUSIVE') ?? (op.scope === 'EXCLUSIVE' ? active[0] : undefined);
    if (conflict) return { status: 'SCOPE_BUSY', op, blockingRun: conflict };
    return null;
  }

  private async admit(op: OperationDefinition, req: StartRequest, run: Parameters<RunLifecycle['recordBlocked']>[0]): Promise<StartOutcome> {
    const deadline = Date.now() + this.lockWaitMs;
    for (let attempt = 0; ; attempt++) {
      let lease;
      try {
        lease = await this.scopeLock.tryAcquire(run.tenantId);
      } catch (err) {
        if (err instanceof ScopeLockUnavailable) {
          this.log.error({ err: err.cause }, 'scope lock unavailable');
          throw serviceUnavailable('Starts are unavailable right now: the lock service is unreachable. Try again shortly.');
        }
        throw err;
      }
      if (lease) {
        try {
          return await this.admitLocked(op, req, run);
        } finally {
          await this.scopeLock.release(lease);
        }
      }
      // Another start on this tenant is being admitted; its run most likely answers ours.
      await sleep(Math.min(5 * 2 ** Math.min(attempt, 4), 50) + Math.random() * 10);
      const answer = await this.activeConflict(this.prisma, op, run.tenantId, run.dedupeKey);
      if (answer) return answer;
      if (Date.now() > deadline) {
        throw serviceUnavailable('This tenant is busy admitting other starts. Try again in a moment.');
      }
    }
  }

  /**
   * The database fence: the tenant row lock serialises admissions on one tenant even when a
   * Redlock lease expired mid-section, and the partial unique index on active dedupe keys turns
   * any remaining duplicate into an ALREADY_RUNNING answer. NO KEY UPDATE, not UPDATE: inserts
   * that merely reference the tenant (blocked runs, directory rows) need not wait for it.
   */
  private async admitLocked(op: OperationDefinition, req: StartRequest, run: Parameters<RunLifecycle['recordBlocked']>[0]): Promise<StartOutcome> {
    try {
      const outcome = await this.prisma.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT id FROM "Tenant" WHERE id = ${run.tenantId}::uuid FOR NO KEY UPDATE`;
        const conflict = await this.activeConflict(tx, op, run.tenantId, run.dedupeKey);
        if (conflict) return conflict;
        await this.racepoints.beforeInsert?.(req);
        const created = await this.lifecycle.createQueued(tx, run, stepDedupeKey);
        return { status: 'QUEUED', op, run: created } satisfies StartOutcome;
      });
      if (outcome.status === 'QUEUED') await this.lifecycle.admitted(run.workspaceId, outcome.run);
      return outcome;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const answer = await this.activeConflict(this.prisma, op, run.tenantId, run.dedupeKey);
      if (answer) return answer;
      throw err;
    }
  }

  private async dispatch(run: OperationRun): Promise<void> {
    try {
      await withTimeout(this.dispatcher.dispatch(run), this.dispatchTimeoutMs);
    } catch (err) {
      this.log.error({ err, runId: run.id }, 'dispatch failed; run marked FAILED');
      await this.lifecycle.failDispatch(run.id);
      throw serviceUnavailable('The run could not be queued: the job queue is unreachable. Try again shortly.');
    }
  }
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; meta?: { driverAdapterError?: { cause?: { originalCode?: string } } } };
  return e?.code === 'P2002' || e?.meta?.driverAdapterError?.cause?.originalCode === '23505';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
