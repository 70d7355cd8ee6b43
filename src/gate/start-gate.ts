// StartGate: the one admission path for every provider-backed start (docs/behaviour.md#starting-an-operation).
// Read top to bottom, it follows the contract's order: resolve the target (NOT_FOUND), check the
// capability (FORBIDDEN), preflight (BLOCKED, recorded, never queued), answer deduped / scope
// busy from a plain read, and only then admit under the tenant's scope lock, with Postgres as
// the last fence, and dispatch the job. Steps 3 to 5 are one pure function, `decide`, which
// previews (docs/behaviour.md#previews-and-provider-connections, src/gate/previews.ts) call too: no rule has a second copy.
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../logger.js';
import type { OperationRun } from '../generated/prisma/client.js';
import type { OperationType, Provider as ProviderName, Role } from '../generated/prisma/enums.js';
import { forbidden, isUuid, notFound, serviceUnavailable } from '../errors.js';
import type { JobDispatcher } from '../jobs/dispatch.js';
import type { RunInsert } from '../runs/change-order.js';
import type { NewRun, RunLifecycle } from '../runs/lifecycle.js';
import type { AdmissionStore, GateConnection, GateRestoreRun, GateTarget, GateTenant } from './admission-store.js';
import type { BlockReasonCode } from '../operations/block-reasons.js';
import { preflight } from './preflight.js';
import { type OperationDefinition, operation, stepDedupeKey } from '../operations/catalogue.js';
import { type ScopeLock, ScopeLockUnavailable } from './scope-lock.js';

export type StartRequest = {
  type: OperationType;
  tenantId?: string;
  restoreRunId?: string;
  providerConnectionId?: string | null;
  /** The schedule whose firing this start is (system starts only). */
  scheduleId?: string | null;
};

/**
 * The start of `type` on the target named by `targetId` (a tenant, restore run or connection, as
 * the catalogue says), pinning `providerConnectionId` where given. One shape for the named start
 * mutations, `startOperation`, previews and schedules.
 */
export function startRequest(type: OperationType, targetId: string, providerConnectionId: string | null): StartRequest {
  switch (operation(type).target) {
    case 'tenant':
      return { type, tenantId: targetId, providerConnectionId };
    case 'restoreRun':
      return { type, restoreRunId: targetId, providerConnectionId };
    case 'providerConnection':
      return { type, providerConnectionId: targetId };
  }
}

/** Who is starting: a user with their role in each workspace, or the system (scheduled runs). */
export type Initiator = { userId: string; roles: ReadonlyMap<string, Role> } | typeof SYSTEM;

/** Scheduled and system starts: no initiator (so no notification), every workspace, every capability. */
export const SYSTEM = { userId: null, roles: null } as const;

export type StartOutcome =
  | { status: 'QUEUED'; op: OperationDefinition; run: OperationRun }
  | { status: 'ALREADY_RUNNING'; op: OperationDefinition; run: OperationRun }
  | { status: 'SCOPE_BUSY'; op: OperationDefinition; blockingRun: OperationRun }
  | { status: 'BLOCKED'; op: OperationDefinition; run: OperationRun; reason: BlockReasonCode };

/** A start's target as resolved (step 2): what steps 3 to 5 decide on. */
export type Target = {
  tenant: GateTenant;
  restoreRun: GateRestoreRun | null;
  connection: GateConnection | null;
  activeRuns: OperationRun[];
  role: Role | 'SYSTEM' | undefined;
  /** Whether the connection a start would pin can run the type (true when there is none). */
  connectionCanRun: boolean;
};

/** What the gate knows of providers: which kinds run which types (src/providers/registry.ts). */
export type ProviderCapabilities = { canRun(provider: ProviderName, type: OperationType): boolean };

type Conflict = Extract<StartOutcome, { status: 'ALREADY_RUNNING' | 'SCOPE_BUSY' }>;

/**
 * Steps 3 to 5 decided: what a start acts on (throw, record BLOCKED, answer, or admit) and what a
 * preview reports as it is. `candidate` is the run a start would record or admit, with the
 * connection it would pin.
 */
export type Decision = { op: OperationDefinition; candidate: NewRun; connection: GateConnection | null } & (
  | { status: 'FORBIDDEN' }
  | { status: 'BLOCKED'; reason: BlockReasonCode }
  | Conflict
  | { status: 'READY' }
);

/** Test seam: named pauses inside the admission, for deterministic race tests. */
export type Racepoints = { beforeInsert?: (req: StartRequest) => Promise<void> };

export type StartGateOptions = { lockWaitMs?: number; dispatchTimeoutMs?: number; racepoints?: Racepoints };

export class StartGate {
  private readonly lockWaitMs: number;
  private readonly dispatchTimeoutMs: number;
  private readonly racepoints: Racepoints;

  constructor(
    private readonly store: AdmissionStore,
    private readonly lifecycle: RunLifecycle,
    private readonly scopeLock: ScopeLock,
    private readonly dispatcher: JobDispatcher,
    private readonly providers: ProviderCapabilities,
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

    // 3-5. The decision a preview reports too; a start then acts on it.
    const decision = decide(op, req, initiator, target);
    switch (decision.status) {
      case 'FORBIDDEN':
        throw forbidden(op.verb);
      case 'BLOCKED': {
        // A start bound to fail is recorded as BLOCKED and never queued.
        const run = await this.lifecycle.recordBlocked(decision.candidate, decision.reason);
        return { status: 'BLOCKED', op, reason: decision.reason, run };
      }
      case 'ALREADY_RUNNING':
        return { status: 'ALREADY_RUNNING', op, run: decision.run };
      case 'SCOPE_BUSY':
        return { status: 'SCOPE_BUSY', op, blockingRun: decision.blockingRun };
      case 'READY': {
        // 6. Admission under the scope lock, then dispatch.
        const admitted = await this.admit(op, req, decision.candidate);
        if (admitted.status === 'QUEUED') await this.dispatch(admitted.run);
        return admitted;
      }
    }
  }

  /**
   * What `start` would answer now, decided by the same code, without recording, queueing or
   * locking anything: READY where it would admit, FORBIDDEN where it would throw FORBIDDEN.
   */
  async preview(initiator: Initiator, req: StartRequest): Promise<Decision> {
    const op = operation(req.type);
    return decide(op, req, initiator, await this.resolveTarget(op, req, initiator));
  }

  private async resolveTarget(op: OperationDefinition, req: StartRequest, initiator: Initiator): Promise<Target> {
    const connectionId = req.providerConnectionId ?? null;
    if (connectionId !== null && !isUuid(connectionId)) throw notFound('Provider connection');

    let found: GateTarget | null;
    if (op.target === 'providerConnection') {
      found = connectionId ? await this.store.connectionTarget(connectionId) : null;
    } else if (op.target === 'restoreRun') {
      found = req.restoreRunId && isUuid(req.restoreRunId) ? await this.store.restoreRunTarget(req.restoreRunId) : null;
    } else {
      found = req.tenantId && isUuid(req.tenantId) ? await this.store.tenantTarget(req.tenantId) : null;
    }
    return targetOf(op, found, connectionId, initiator, this.providers);
  }

  private async admit(op: OperationDefinition, req: StartRequest, run: NewRun): Promise<StartOutcome> {
    const deadline = Date.now() + this.lockWaitMs;
    for (let attempt = 0; ; attempt++) {
      let lease: Awaited<ReturnType<ScopeLock['tryAcquire']>>;
      try {
        lease = await this.scopeLock.tryAcquire(run.tenantId);
      } catch (err) {
        if (!(err instanceof ScopeLockUnavailable)) throw err;
        this.log.error({ err: err.cause }, 'scope lock unavailable');
        throw serviceUnavailable(
          'Starts are unavailable right now: the lock service is unreachable. Try again shortly.',
        );
      }
      if (lease) {
        try {
          return await this.admitLocked(op, req, run);
        } finally {
          await this.scopeLock.release(lease);
        }
      }
      // Another start on this tenant is being admitted; its run most likely answers ours.
      await delay(Math.min(5 * 2 ** Math.min(attempt, 4), 50) + Math.random() * 10);
      const answer = conflictWith(op, run.dedupeKey, await this.store.activeRuns(run.tenantId));
      if (answer) return answer;
      if (Date.now() > deadline)
        throw serviceUnavailable('This tenant is busy admitting other starts. Try again in a moment.');
    }
  }

  /**
   * The database fence: the tenant row lock serialises admissions on one tenant even when a
   * Redlock lease expired mid-section, and the partial unique index on active dedupe keys turns
   * any remaining duplicate into an ALREADY_RUNNING answer.
   */
  private async admitLocked(op: OperationDefinition, req: StartRequest, run: NewRun): Promise<StartOutcome> {
    try {
      const { admitted, committed } = await this.store.withTenantLocked(
        run.tenantId,
        async (activeRuns) => {
          const conflict = conflictWith(op, run.dedupeKey, activeRuns);
          if (conflict) return { conflict, family: NOTHING_WRITTEN };
          await this.racepoints.beforeInsert?.(req);
          return { conflict: null, family: this.lifecycle.queuedFamily(run, stepDedupeKey) };
        },
        ({ family }) => family,
      );
      if (admitted.conflict) return admitted.conflict;
      await this.lifecycle.admitted(run.workspaceId, committed);
      return { status: 'QUEUED', op, run: committed[0] };
    } catch (err) {
      if ((err as { code?: string }).code !== '23505') throw err;
      const answer = conflictWith(op, run.dedupeKey, await this.store.activeRuns(run.tenantId));
      if (answer) return answer;
      throw err;
    }
  }

  private async dispatch(run: OperationRun): Promise<void> {
    try {
      await withTimeout(this.dispatcher.dispatch(run), this.dispatchTimeoutMs);
    } catch (err) {
      // A timeout says nothing about whether the job got there (a slow Redis may have stored it):
      // if it is in the queue the start was accepted, and failing the run would be a lie.
      const queued = await withTimeout(this.dispatcher.getJob(run.id, run.tenantId), this.dispatchTimeoutMs).catch(
        () => undefined,
      );
      if (queued) {
        this.log.warn({ err, runId: run.id }, 'dispatch answered late, but the job is queued: start accepted');
        return;
      }
      this.log.error({ err, runId: run.id }, 'dispatch failed; run marked FAILED');
      await this.lifecycle.failDispatch(run.id);
      throw serviceUnavailable('The run could not be queued: the job queue is unreachable. Try again shortly.');
    }
  }
}

const NOTHING_WRITTEN: readonly RunInsert[] = [];

const canSee = (initiator: Initiator, workspaceId: string) =>
  initiator.roles === null || initiator.roles.has(workspaceId);

const TARGET_NAMES = {
  tenant: 'Tenant',
  restoreRun: 'Restore run',
  providerConnection: 'Provider connection',
} as const;

/**
 * Step 2 on a loaded target (one start's read, or a batch of previews'): NOT_FOUND unless it
 * exists in a workspace of the caller; an explicit connection must belong to the target tenant,
 * otherwise the tenant's default is the one a start would pin.
 */
export function targetOf(
  op: OperationDefinition,
  found: GateTarget | null | undefined,
  connectionId: string | null,
  initiator: Initiator,
  providers: ProviderCapabilities,
): Target {
  if (!found || !canSee(initiator, found.tenant.workspaceId)) throw notFound(TARGET_NAMES[op.target]);
  const connection = connectionId
    ? found.connections.find((c) => c.id === connectionId)
    : found.connections.find((c) => c.isDefault);
  if (connectionId && !connection) throw notFound('Provider connection');

  const role = initiator.roles === null ? 'SYSTEM' : initiator.roles.get(found.tenant.workspaceId);
  return {
    tenant: found.tenant,
    restoreRun: found.restoreRun,
    connection: connection ?? null,
    activeRuns: found.activeRuns,
    role,
    connectionCanRun: !connection || providers.canRun(connection.provider, op.type),
  };
}

/**
 * Steps 3 to 5 on a resolved target, the one copy of those rules for starts and previews alike.
 * Pure: it judges what resolution loaded, so a batch of previews costs no query per decision.
 */
export function decide(op: OperationDefinition, req: StartRequest, initiator: Initiator, target: Target): Decision {
  const candidate: NewRun = {
    type: op.type,
    tenantId: target.tenant.id,
    workspaceId: target.tenant.workspaceId,
    providerConnectionId: target.connection?.id ?? null,
    restoreRunId: target.restoreRun?.id ?? null,
    initiatorId: initiator.userId,
    scheduleId: req.scheduleId ?? null,
    scopeClass: op.scope,
    dedupeKey: op.dedupeKey({
      tenantId: target.tenant.id,
      connectionId: target.connection?.id ?? null,
      restoreRunId: target.restoreRun?.id ?? null,
    }),
  };
  const decided = { op, candidate, connection: target.connection };

  // 3. Capability.
  if (target.role !== 'SYSTEM' && !(target.role && op.roles.includes(target.role)))
    return { ...decided, status: 'FORBIDDEN' };

  // 4. Preflight: the first reason, in contract order, that makes the start bound to fail.
  const reason = preflight(op, target);
  if (reason) return { ...decided, status: 'BLOCKED', reason };

  // 5. Deduped or scope busy, answered from the plain read that resolved the target: a burst on
  //    a busy tenant never queues for the lock.
  const conflict = conflictWith(op, candidate.dedupeKey, target.activeRuns);
  if (conflict) return { ...decided, ...conflict };
  return { ...decided, status: 'READY' };
}

/**
 * The answer the tenant's active runs give a start: the same dedupe target is ALREADY_RUNNING;
 * otherwise an exclusive run blocks everything and any run blocks an exclusive start.
 */
function conflictWith(op: OperationDefinition, dedupeKey: string, active: OperationRun[]): Conflict | null {
  const same = active.find((r) => r.dedupeKey === dedupeKey);
  if (same) return { status: 'ALREADY_RUNNING', op, run: same };
  const conflict =
    active.find((r) => r.scopeClass === 'EXCLUSIVE') ?? (op.scope === 'EXCLUSIVE' ? active[0] : undefined);
  if (conflict) return { status: 'SCOPE_BUSY', op, blockingRun: conflict };
  return null;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
