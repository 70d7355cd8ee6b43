// ScheduleService: recurring system starts (CONTRACT.md section 8). PostgreSQL holds the schedules;
// one BullMQ job scheduler per enabled schedule fires them (ScheduleTriggers). Create, update and
// delete change the row and the job scheduler together; a firing re-reads its row under a lock and
// starts through the same StartGate as a click, as the system initiator.
import type { Viewer } from '../auth/viewer.js';
import { forbidden, isUuid, notFound, PublicError } from '../errors.js';
import type { StartResultPresenter } from '../gate/presenter.js';
import { type StartGate, type StartOutcome, SYSTEM } from '../gate/start-gate.js';
import { SCHEDULE } from '../db/identifiers.js';
import type { PrismaClient, Schedule } from '../generated/prisma/client.js';
import type { OperationType } from '../generated/prisma/enums.js';
import type { Logger } from '../logger.js';
import { operation, SCHEDULE_MANAGERS } from '../operations/catalogue.js';
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
  | { fired: false; why: 'gone' | 'disabled' | 'stale' }
  | { fired: true; status: StartOutcome['status']; runId: string };

/** A firing whose tick is older than this was missed while no worker ran: it is not replayed. */
const STALE_FIRING_MS = 60_000;
const FIRING_TX = { timeout: 60_000, maxWait: 30_000 };

export class ScheduleService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly triggers: Triggers,
    private readonly gate: StartGate,
    private readonly presenter: StartResultPresenter,
    private readonly minIntervalS: number,
    private readonly log: Logger,
  ) {}

  async create(viewer: Viewer, input: CreateScheduleInput): Promise<Schedule> {
    const tenant = await this.visibleTenant(viewer, input.tenantId);
    const connectionId = input.providerConnectionId ?? null;
    if (connectionId !== null) await this.connectionOf(tenant.id, connectionId);
    this.assertManager(viewer, tenant.workspaceId);
    const timezone = input.timezone ?? 'UTC';
    this.assertSchedulable(input.type, connectionId);
    assertTiming(input.cron, timezone, this.minIntervalS);

    return this.withTrigger(async (tx) => {
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
    assertTiming(cron, timezone, this.minIntervalS);

    return this.withTrigger(async (tx) => {
      // The row lock also waits for a firing in progress: once this returns, no firing of the old
      // state records anything.
      const updated = await tx.schedule.update({
        where: { id },
        data: { cron, timezone, enabled, providerConnectionId: connectionId },
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
    return this.prisma.$transaction(async (tx) => {
      const S = SCHEDULE;
      // FOR NO KEY UPDATE: the new run's foreign key to this row (FOR KEY SHARE) does not wait on it.
      const rows = await tx.$queryRawUnsafe<Schedule[]>(
        `SELECT * FROM ${S.t} WHERE ${S.c('id')} = $1::uuid FOR NO KEY UPDATE`,
        scheduleId,
      );
      const schedule = rows[0];
      if (!schedule || schedule.deletedAt) return { fired: false, why: 'gone' } as const;
      if (!schedule.enabled) return { fired: false, why: 'disabled' } as const;

      const outcome = await this.gate.start(SYSTEM, {
        type: schedule.type,
        tenantId: schedule.tenantId,
        providerConnectionId: schedule.providerConnectionId,
        scheduleId,
      });
      const shape = this.presenter.present(outcome);
      const runId = outcome.status === 'SCOPE_BUSY' ? outcome.blockingRun.id : outcome.run.id;
      await tx.schedule.update({
        where: { id: scheduleId },
        data: {
          firings: { increment: 1 },
          lastFiredAt: now,
          lastOutcomeStatus: outcome.status,
          lastOutcomeMessage: shape.message,
          lastOutcomeRunId: runId,
        },
      });
      this.log.info(
        { scheduleId, type: schedule.type, tenantId: schedule.tenantId, status: outcome.status, runId },
        'schedule fired',
      );
      return { fired: true, status: outcome.status, runId } as const;
    }, FIRING_TX);
  }

  /**
   * Job schedulers in Redis made to match the table: every enabled schedule has one (created or
   * refreshed), and none exists for anything else. Run at worker start-up, so a Redis flush or
   * restore loses no schedule.
   */
  async reconcile(): Promise<{ set: number; removed: number }> {
    const wanted = await this.prisma.schedule.findMany({ where: { enabled: true, deletedAt: null } });
    for (const schedule of wanted) await this.triggers.set(schedule);
    const keep = new Set(wanted.map((s) => s.id));
    const orphans = (await this.triggers.ids()).filter((id) => !keep.has(id));
    for (const id of orphans) await this.triggers.remove(id);
    if (orphans.length) this.log.warn({ removed: orphans.length }, 'removed job schedulers of no enabled schedule');
    return { set: wanted.length, removed: orphans.length };
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
