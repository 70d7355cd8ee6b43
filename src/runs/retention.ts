// History retention: the workers prune terminal runs older than RUN_RETENTION_DAYS and read
// notifications older than NOTIFICATION_RETENTION_DAYS, so an MSP's history (millions of runs over
// 2,000 tenants) stops growing without bound. Each batch is one short statement of at most
// RETENTION_BATCH rows that skips rows another sweep holds (several worker processes may sweep at
// once). It never touches a row a start needs: only terminal runs go (admission reads the active
// ones), and a start locks its tenant row, which deleting a run does not lock.
//
// A run stays, however old, when it is still active (or a step of it is), when it is the latest
// run of its schedule or a schedule's last outcome (the schedule shows it), when it is the last
// execution of its restore run (the restore's current state), or when it has an unread
// notification (its initiator has not seen the outcome; the notification points at it).
// A run's steps and notifications go with it (ON DELETE CASCADE).
import { setTimeout as delay } from 'node:timers/promises';
import { Prisma, type PrismaClient } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { SQL_ACTIVE } from '../operations/status.js';

/** ACTIVE_STATUSES as SQL text inside the tagged queries below (not a parameter). */
const ACTIVE = Prisma.raw(SQL_ACTIVE);

export type RetentionOptions = {
  runDays: number;
  notificationDays: number;
  /** Rows per statement. */
  batch: number;
  intervalMs: number;
};

export type SweepResult = { runs: number; notifications: number; batches: number };

const DAY_MS = 86_400_000;

export class Retention {
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<SweepResult> | null = null;
  private stopped = false;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    private readonly options: RetentionOptions,
  ) {}

  /** Sweeps now (after start-up settles) and every intervalMs. */
  start(): void {
    const tick = () =>
      void this.sweep().catch((err) => this.log.warn({ err }, 'retention sweep failed; retried next interval'));
    this.timer = setInterval(tick, this.options.intervalMs);
    this.timer.unref();
    setTimeout(tick, 1_000).unref();
  }

  /** No further batch starts; resolves once a sweep in progress has finished its current batch. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.sweeping?.catch(() => undefined);
  }

  /** One sweep: batches until nothing old is left (or stop()). A sweep already running is joined. */
  sweep(now = new Date()): Promise<SweepResult> {
    this.sweeping ??= this.prune(now).finally(() => {
      this.sweeping = null;
    });
    return this.sweeping;
  }

  private async prune(now: Date): Promise<SweepResult> {
    const result: SweepResult = { runs: 0, notifications: 0, batches: 0 };
    const runCutoff = new Date(now.getTime() - this.options.runDays * DAY_MS);
    const notificationCutoff = new Date(now.getTime() - this.options.notificationDays * DAY_MS);
    for (const [table, batch] of [
      ['Notification', () => this.notificationBatch(notificationCutoff)],
      ['OperationRun', () => this.runBatch(runCutoff)],
    ] as const) {
      while (!this.stopped) {
        const deleted = await batch();
        result.batches++;
        if (deleted > 0) this.metrics.retentionPruned.inc({ table }, deleted);
        if (table === 'OperationRun') result.runs += deleted;
        else result.notifications += deleted;
        if (deleted < this.options.batch) break;
        await delay(0); // let other work in between batches
      }
    }
    if (result.runs || result.notifications) this.log.info(result, 'retention sweep pruned history');
    return result;
  }

  /** Read notifications created before `cutoff`, oldest first. */
  private notificationBatch(cutoff: Date): Promise<number> {
    return this.prisma.$executeRaw`
      DELETE FROM "Notification" WHERE id IN (
        SELECT id FROM "Notification"
        WHERE "createdAt" < ${cutoff} AND "readAt" IS NOT NULL
        ORDER BY "createdAt"
        LIMIT ${this.options.batch}
        FOR UPDATE SKIP LOCKED)`;
  }

  /** Top-level terminal runs created and finished before `cutoff` that nothing still needs, oldest first. */
  private runBatch(cutoff: Date): Promise<number> {
    return this.prisma.$executeRaw`
      DELETE FROM "OperationRun" WHERE id IN (
        SELECT r.id FROM "OperationRun" r
        WHERE r."createdAt" < ${cutoff}
          AND r."parentId" IS NULL
          AND r.status NOT IN ${ACTIVE}
          AND COALESCE(r."finishedAt", r."createdAt") < ${cutoff}
          AND NOT EXISTS (SELECT 1 FROM "OperationRun" s WHERE s."parentId" = r.id AND s.status IN ${ACTIVE})
          AND NOT EXISTS (SELECT 1 FROM "Notification" n WHERE n."runId" = r.id AND n."readAt" IS NULL)
          AND NOT EXISTS (SELECT 1 FROM "Schedule" sc WHERE sc."lastOutcomeRunId" = r.id)
          AND (r."scheduleId" IS NULL OR r.id <> (
            SELECT l.id FROM "OperationRun" l WHERE l."scheduleId" = r."scheduleId"
            ORDER BY l."createdAt" DESC, l.id DESC LIMIT 1))
          AND (r."restoreRunId" IS NULL OR r.id <> (
            SELECT l.id FROM "OperationRun" l WHERE l."restoreRunId" = r."restoreRunId"
            ORDER BY l."createdAt" DESC, l.id DESC LIMIT 1))
        ORDER BY r."createdAt"
        LIMIT ${this.options.batch}
        FOR UPDATE OF r SKIP LOCKED)`;
  }
}
