// ScheduleService: recurring system starts (docs/behaviour.md#schedules). PostgreSQL holds the schedules;
// one BullMQ job scheduler per enabled schedule fires them (ScheduleTriggers). Create, update and
// delete change the row and the job scheduler together; a firing re-reads its row under a lock and
// starts through the same StartGate as a click, as the system initiator. A schedule whose every
// firing would be blocked (PAUSING_BLOCKS) is refused, or paused once a firing finds it so.
import type { Viewer } from '../auth/viewer.js';
import { forbidden, isUuid, notFound, PublicError } from '../errors.js';
import type { StartResultPresenter } from '../gate/presenter.js';
import type { StartPreviews } from '../gate/previews.js';
import { type StartGate, type StartOutcome, SYSTEM } from '../gate/start-gate.js';
import type { BlockReasonCode } from '../operations/block-reasons.js';
import { SCHEDULE } from '../db/identifiers.js';
import type { PrismaClient, Schedule } from '../generated/prisma/client.js';
import type { OperationType } from '../generated/prisma/enums.js';
import type { Logger } from '../logger.js';
import { needsConnection, operation, SCHEDULE_MANAGERS } from '../operations/catalogue.js';
import { assertTiming } from './cron.js';

/** Where schedules fire from: the job schedulers (src/jobs/schedulers.ts). */
export type Triggers = {
  set(schedule: { id: string; cron: string; timezone: string }): Promise<void>;
  remove(scheduleId: string): Promise<void>;
  ids(): Promise<string[]>;
};

export type CreateScheduleInput = {
  tenantId: string;
  type: OperationType;
  cron: string;
  timezone?: string | null;
  providerConnectionId?: string | null;
  enabled?: boolean | null;
};

/** `providerConnectionId: null` removes the pin; `undefined` leaves every field as it is. */
export type UpdateScheduleInput = {
  cron?: string | null;
  timezone?: string | null;
  enabled?: boolean | null;
  providerConnectionId?: string | null;
};

export type FiringResult =
  | { fired: false; why: 'gone' | 'disabled' | 'paused' | 'stale' }
  | { fired: true; status: StartOutcome['status']; runId: string; pausedFor?: BlockReasonCode };

export type ScheduleLimits = {
  /** SCHEDULE_MIN_INTERVAL_S */
  minIntervalS: number;
  /** SCHEDULE_MAX_PER_TENANT, SCHEDULE_MAX_PER_WORKSPACE: schedules not deleted, enabled or not. */
  maxPerTenant: number;
  maxPerWorkspace: number;
};

/**
 * Blocks that no later firing gets past by itself: an archived tenant, no connection to use. A
 * schedule facing one is refused at create and update, and paused by the firing that meets it
 * (one BLOCKED run, then silence, the reason on the schedule) until an update passes the checks.
 * A disabled connection or credentials that are not valid are an operator's fix away on the
 * connection: such firings go on recording BLOCKED runs and resume by themselves once fixed.
 */
export const PAUSING_BLOCKS: ReadonlySet<BlockReasonCode> = new Set(['TENANT_ARCHIVED', 'PROVIDER_CONNECTION_MISSING']);

/** The schedules whose job scheduler should exist. */
const FIRING = { enabled: true, deletedAt: null, pausedReasonCode: null } as const;

/** A firing whose tick is older than this was missed while no worker ran: it is not replayed. */
const STALE_FIRING_MS = 60_000;
const FIRING_TX = { timeout: 60_000, maxWait: 30_000 };

export class ScheduleService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly triggers: Triggers,
    private readonly gate: StartGate,
    private readonly presenter: StartResultPresenter,
    private readonly previews: StartPreviews,
    private readonly limits: ScheduleLimits,
    private readonly log: Logger,
  ) {}

  async create(viewer: Viewer, input: CreateScheduleInput): Promise<Schedule> {
    const tenant = await this.visibleTenant(viewer, input.tenantId);
    const connectionId = input.providerConnectionId ?? null;
    if (connectionId !== null) await this.connectionOf(tenant.id, connectionId);
    this.assertManager(viewer, tenant.workspaceId);
    const timezone = input.timezone ?? 'UTC';
    this.assertSchedulable(input.type, connectionId);
    assertTiming(input.cron, timezone, this.limits.minIntervalS);
    await this.assertWouldFire(input.type, tenant.id, connectionId);

    return this.withTrigger(async (tx) => {
      await this.assertRoomFor(tx, tenant);
      const created = await tx.schedule.create({
        data: {
          tenantId: tenant.id,
          type: input.type,
          cron: input.cron.trim(),
          timezone,
          enabled: input.enabled ?? true,
          providerConnectionId: connectionId,
          createdById: viewer.userId,
        },
      });
      if (created.enabled) await this.triggers.set(created);
      return created;
    });
  }

  async update(viewer: Viewer, id: string, patch: UpdateScheduleInput): Promise<Schedule> {
    const current = await this.visibleSchedule(viewer, id);
    const connectionId =
      patch.providerConnectionId === undefined ? current.providerConnectionId : patch.providerConnectionId;
    if (patch.providerConnectionId) await this.connectionOf(current.tenantId, patch.providerConnectionId);
    this.assertManager(viewer, current.tenant.workspaceId);
    const cron = patch.cron?.trim() ?? current.cron;
    const timezone = patch.timezone ?? current.timezone;
    const enabled = patch.enabled ?? current.enabled;
    this.assertSchedulable(current.type, connectionId);
    assertTiming(cron, timezone, this.limits.minIntervalS);
    if (enabled) await this.assertWouldFire(current.type, current.tenantId, connectionId);

    return this.withTrigger(async (tx) => {
      // The row lock also waits for a firing in progress: once this returns, no firing of the old
      // state records anything. An update that passed the checks lifts a pause.
      const updated = await tx.schedule.update({
        where: { id },
        data: {
          cron,
          timezone,
          enabled,
          providerConnectionId: connectionId,
          pausedReasonCode: null,
          pausedReasonMessage: null,
          pausedAt: null,
        },
      });
      if (updated.enabled) await this.triggers.set(updated);
      else await this.triggers.remove(id);
      return updated;
    });
  }

  /** Soft delete: the schedule leaves Tenant.schedules, its runs still name it. */
  async delete(viewer: Viewer, id: string): Promise<string> {
    const current = await this.visibleSchedule(viewer, id);
    this.assertManager(viewer, current.tenant.workspaceId);
    await this.withTrigger(async (tx) => {
      await tx.schedule.update({ where: { id }, data: { deletedAt: new Date(), enabled: false } });
      await this.triggers.remove(id);
    });
    return id;
  }

  /**
   * One due firing (a job of the schedule's job scheduler). The row is re-read under a lock that
   * disable and delete wait for, so a schedule disabled or deleted before this runs records
   * nothing, and one disabled while this runs waits for it. Errors other than the gate's answers
   * (e.g. the lock store unreachable) are thrown: the job is retried with backoff and the
   * schedule's last outcome stays as it was.
   */
  async fire(scheduleId: string, tickAt: Date, now = new Date()): Promise<FiringResult> {
    if (now.getTime() - tickAt.getTime() > STALE_FIRING_MS) return { fired: false, why: 'stale' };
    const result: FiringResult = await this.prisma.$transaction(async (tx) => {
      const S = SCHEDULE;
      // FOR NO KEY UPDATE: the new run's foreign key to this row (FOR KEY SHARE) does not wait on it.
      const rows = await tx.$queryRawUnsafe<Schedule[]>(
        `SELECT * FROM ${S.t} WHERE ${S.c('id')} = $1::uuid FOR NO KEY UPDATE`,
        scheduleId,
      );
      const schedule = rows[0];
      if (!schedule || schedule.deletedAt) return { fired: false, why: 'gone' } as const;
      if (!schedule.enabled) return { fired: false, why: 'disabled' } as const;
      if (schedule.pausedReasonCode) return { fired: false, why: 'paused' } as const;

      const outcome = await this.gate.start(SYSTEM, {
        type: schedule.type,
        tenantId: schedule.tenantId,
        providerConnectionId: schedule.providerConnectionId,
        scheduleId,
      });
      const shape = this.presenter.present(outcome);
      const runId = outcome.status === 'SCOPE_BUSY' ? outcome.blockingRun.id : outcome.run.id;
      const pause = outcome.status === 'BLOCKED' && PAUSING_BLOCKS.has(outcome.reason) ? outcome.reason : undefined;
      await tx.schedule.update({
        where: { id: scheduleId },
        data: {
          firings: { increment: 1 },
          lastFiredAt: now,
          lastOutcomeStatus: outcome.status,
          lastOutcomeMessage: shape.message,
          lastOutcomeRunId: runId,
          ...(pause && shape.__typename === 'StartBlocked'
            ? { pausedReasonCode: pause, pausedReasonMessage: shape.reason.message, pausedAt: now }
            : {}),
        },
      });
      this.log.info(
        { scheduleId, type: schedule.type, tenantId: schedule.tenantId, status: outcome.status, runId },
        'schedule fired',
      );
      if (pause) this.log.warn({ scheduleId, reason: pause }, 'schedule paused: every firing would be blocked');
      return { fired: true, status: outcome.status, runId, ...(pause ? { pausedFor: pause } : {}) } as const;
    }, FIRING_TX);
    // Its job scheduler goes once the pause is committed (else the reconciler removes it).
    if (result.fired && result.pausedFor)
      await this.triggers
        .remove(scheduleId)
        .catch((err) => this.log.warn({ err, scheduleId }, 'job scheduler of a paused schedule not removed yet'));
    return result;
  }

  /**
   * Job schedulers in Redis made to match the table: every enabled schedule has one (created or
   * refreshed), and none exists for anything else. Run at worker start-up, so a Redis flush or
   * restore loses no schedule.
   */
  async reconcile(): Promise<{ set: number; removed: number }> {
    const wanted = await this.prisma.schedule.findMany({ where: FIRING });
    for (const schedule of wanted) await this.triggers.set(schedule);
    const keep = new Set(wanted.map((s) => s.id));
    const orphans = (await this.triggers.ids()).filter((id) => !keep.has(id));
    for (const id of orphans) await this.triggers.remove(id);
    if (orphans.length) this.log.warn({ removed: orphans.length }, 'removed job schedulers of no enabled schedule');
    return { set: wanted.length, removed: orphans.length };
  }

  /**
   * The periodic check (the worker's reconciler): job schedulers missing from Redis (it restarted
   * empty, was flushed, failed over) are recreated, and orphans removed, while workers keep
   * running. Cheaper than reconcile: only what differs is written. A missing one is recreated
   * under its row lock, which a delete or disable in progress holds until it commits, so a
   * schedule being deleted does not get its job scheduler back.
   */
  async repairTriggers(): Promise<{ restored: number; removed: number }> {
    const present = new Set(await this.triggers.ids());
    const wanted = await this.prisma.schedule.findMany({ where: FIRING, select: { id: true } });
    const keep = new Set(wanted.map((s) => s.id));
    let restored = 0;
    for (const { id } of wanted) {
      if (present.has(id)) continue;
      const recreated = await this.prisma.$transaction(async (tx) => {
        const S = SCHEDULE;
        const rows = await tx.$queryRawUnsafe<Schedule[]>(
          `SELECT * FROM ${S.t} WHERE ${S.c('id')} = $1::uuid FOR NO KEY UPDATE`,
          id,
        );
        const row = rows[0];
        if (!row?.enabled || row.deletedAt || row.pausedReasonCode) return false;
        await this.triggers.set(row);
        return true;
      });
      if (recreated) restored++;
    }
    let removed = 0;
    for (const id of present) {
      if (keep.has(id)) continue;
      // Re-read: a schedule created since the first read is not an orphan.
      const row = await this.prisma.schedule.findFirst({ where: { id, ...FIRING }, select: { id: true } });
      if (row) continue;
      await this.triggers.remove(id);
      removed++;
    }
    if (restored || removed) this.log.warn({ restored, removed }, 'repaired job schedulers that Redis had lost');
    return { restored, removed };
  }

  // ---- the decision order: NOT_FOUND, FORBIDDEN, then BAD_USER_INPUT --------------------------

  private async visibleTenant(viewer: Viewer, tenantId: string) {
    const tenant = isUuid(tenantId) ? await this.prisma.tenant.findUnique({ where: { id: tenantId } }) : null;
    if (!tenant || !viewer.roles.has(tenant.workspaceId)) throw notFound('Tenant');
    return tenant;
  }

  private async visibleSchedule(viewer: Viewer, id: string) {
    const schedule = isUuid(id)
      ? await this.prisma.schedule.findUnique({ where: { id }, include: { tenant: true } })
      : null;
    if (!schedule || schedule.deletedAt || !viewer.roles.has(schedule.tenant.workspaceId)) throw notFound('Schedule');
    return schedule;
  }

  /** A pinned connection must belong to the schedule's tenant: NOT_FOUND otherwise, as for starts. */
  private async connectionOf(tenantId: string, connectionId: string): Promise<void> {
    const found = isUuid(connectionId)
      ? await this.prisma.providerConnection.findUnique({ where: { id: connectionId } })
      : null;
    if (!found || found.tenantId !== tenantId) throw notFound('Provider connection');
  }

  private assertManager(viewer: Viewer, workspaceId: string): void {
    const role = viewer.roles.get(workspaceId);
    if (!role || !SCHEDULE_MANAGERS.includes(role)) throw forbidden('manage schedules');
  }

  /** Refused when the start gate would block every firing for a reason that no firing fixes (PAUSING_BLOCKS). */
  private async assertWouldFire(type: OperationType, tenantId: string, connectionId: string | null): Promise<void> {
    const op = operation(type);
    const targetId = needsConnection(op) ? connectionId! : tenantId;
    const [answer] = await this.previews.forTargets(SYSTEM, op.target, [
      { targetId, providerConnectionId: connectionId },
    ]);
    if (answer instanceof PublicError) throw answer;
    const preview = answer.find((p) => p.type === type);
    if (preview?.status === 'BLOCKED' && preview.reason && PAUSING_BLOCKS.has(preview.reason.code)) {
      throw new PublicError(
        'BAD_USER_INPUT',
        `Every firing of this schedule would be blocked: ${preview.reason.message} (${preview.reason.code})`,
      );
    }
  }

  /**
   * The count limits, checked under a per-workspace transaction lock so that concurrent creates
   * cannot together pass a limit.
   */
  private async assertRoomFor(
    tx: Parameters<Parameters<PrismaClient['$transaction']>[0]>[0],
    tenant: { id: string; name: string; workspaceId: string },
  ): Promise<void> {
    await tx.$executeRawUnsafe('SELECT pg_advisory_xact_lock(hashtext($1))', `schedules:${tenant.workspaceId}`);
    const inTenant = await tx.schedule.count({ where: { tenantId: tenant.id, deletedAt: null } });
    if (inTenant >= this.limits.maxPerTenant) {
      throw new PublicError(
        'BAD_USER_INPUT',
        `${tenant.name} already has ${inTenant} schedules, the most a tenant may have (SCHEDULE_MAX_PER_TENANT = ${this.limits.maxPerTenant}): delete one first`,
      );
    }
    const inWorkspace = await tx.schedule.count({
      where: { tenant: { workspaceId: tenant.workspaceId }, deletedAt: null },
    });
    if (inWorkspace >= this.limits.maxPerWorkspace) {
      throw new PublicError(
        'BAD_USER_INPUT',
        `This workspace already has ${inWorkspace} schedules, the most a workspace may have (SCHEDULE_MAX_PER_WORKSPACE = ${this.limits.maxPerWorkspace}): delete one first`,
      );
    }
  }

  private assertSchedulable(type: OperationType, connectionId: string | null): void {
    const op = operation(type);
    if (!op.schedulable) throw new PublicError('BAD_USER_INPUT', `${op.label} cannot be scheduled`);
    if (op.target === 'providerConnection' && !connectionId) {
      throw new PublicError('BAD_USER_INPUT', `A ${op.label.toLowerCase()} schedule needs a providerConnectionId`);
    }
  }

  /** The row change and the job scheduler change together: if Redis refuses, the row change is rolled back. */
  private async withTrigger<T>(
    change: (tx: Parameters<Parameters<PrismaClient['$transaction']>[0]>[0]) => Promise<T>,
  ): Promise<T> {
    try {
      return await this.prisma.$transaction(change, { timeout: 15_000 });
    } catch (err) {
      if (err instanceof PublicError) throw err;
      this.log.error({ err }, 'schedule change not applied');
      throw new PublicError('SERVICE_UNAVAILABLE', 'The schedule could not be changed right now: try again shortly.', {
        retryAfterSeconds: 1,
      });
    }
  }
}
