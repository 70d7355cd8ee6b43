// What `operationRunUpdated` streams (docs/behaviour.md#realtime-subscriptions and
// #resuming-a-subscription): the run events of the workspaces the subscriber may see, narrowed to a
// tenant or a run family, re-authorised per event; with `after`, first the current state of every
// such run changed since that changeId, oldest change first, then live, with nothing lost or
// repeated across the handover.
//
// The handover: listening starts (Redis has answered SUBSCRIBE) before the replay is read, so a
// change committed after the read's snapshot is heard live. A change committed before it may be
// heard live too (its event was still on its way): a live event is dropped when it is not newer
// than `after`, or than the replayed state of its run. changeIds follow commit order
// (src/runs/change-order.ts), so the read misses nothing older than the newest change it saw.
import type { Viewer } from '../auth/viewer.js';
import { visibleWorkspaceIds } from '../auth/visibility.js';
import { notFound, PublicError, resyncRequired } from '../errors.js';
import type { OperationRun, PrismaClient } from '../generated/prisma/client.js';
import { changeIdAfter, isChangeId } from '../runs/change-order.js';
import type { RunEvent } from '../runs/events.js';
import { findVisibleRun } from '../runs/monitoring.js';
import type { RealtimeBus } from './bus.js';
import { probeSubscriptions, reportSubscribed } from './subscription-readiness.js';

export type RunStreamFilter = { tenantId: string | null; runId: string | null };

/** operationRunUpdated's arguments as a filter. */
export const runFilter = (args: { tenantId?: unknown; runId?: unknown }): RunStreamFilter => ({
  tenantId: args.tenantId ? String(args.tenantId) : null,
  runId: args.runId ? String(args.runId) : null,
});

/** Test hooks: a pause between "listening" and "replay read". */
export type RunStreamRacepoints = { beforeReplayRead?: () => Promise<void> };

type Members = { stillMember(userId: string, workspaceId: string): Promise<boolean> };

/** Whether a run belongs to what a subscription with this filter delivers (visibility aside). */
export const inFilter = (filter: RunStreamFilter, run: Pick<OperationRun, 'id' | 'tenantId' | 'parentId'>) =>
  (!filter.tenantId || run.tenantId === filter.tenantId) &&
  (!filter.runId || run.id === filter.runId || run.parentId === filter.runId);

export class RunStreams {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly bus: Pick<RealtimeBus, 'runEvents'>,
    private readonly members: Members,
    private readonly replayLimit: number,
    private readonly racepoints: RunStreamRacepoints = {},
  ) {}

  /**
   * The workspaces a subscription listens to: the tenant's or the run's (NOT_FOUND when the viewer
   * may not see it), else every workspace the viewer belongs to now.
   */
  async workspacesOf(viewer: Viewer, filter: RunStreamFilter): Promise<string[]> {
    if (filter.runId) {
      const run = await findVisibleRun(this.prisma, viewer, filter.runId, { include: { tenant: true } });
      if (!run) throw notFound('Operation run');
      const { workspaceId } = (run as OperationRun & { tenant: { workspaceId: string } }).tenant;
      if (filter.tenantId && run.tenantId !== filter.tenantId) return [];
      return [workspaceId];
    }
    if (filter.tenantId) {
      const tenant = await this.prisma.tenant.findFirst({
        where: { id: filter.tenantId, workspaceId: { in: visibleWorkspaceIds(viewer) } },
        select: { workspaceId: true },
      });
      if (!tenant) throw notFound('Tenant');
      return [tenant.workspaceId];
    }
    return visibleWorkspaceIds(viewer);
  }

  /** The stream of run rows for `viewer`; `after` resumes (BAD_USER_INPUT when malformed, RESYNC_REQUIRED past the limit). */
  async open(viewer: Viewer, filter: RunStreamFilter, after: string | null): Promise<AsyncIterable<OperationRun>> {
    if (after !== null && !isChangeId(after))
      throw new PublicError('BAD_USER_INPUT', 'Invalid changeId: pass back a changeId exactly as it was received');
    const workspaces = await this.workspacesOf(viewer, filter);
    const visible = async (event: RunEvent) =>
      inFilter(filter, event.run) && (await this.members.stillMember(viewer.userId, event.workspaceId));
    const live = this.bus.runEvents(workspaces)[Symbol.asyncIterator]();
    if (after === null) return liveOnly(live, visible);

    // Listening first: the replay is read once Redis has answered SUBSCRIBE.
    const { started, live: listening } = probeSubscriptions(() => live.next());
    await listening;
    let replay: OperationRun[];
    try {
      await this.racepoints.beforeReplayRead?.();
      replay = await this.replay(workspaces, filter, after);
    } catch (err) {
      await live.return?.();
      throw err;
    }
    return handover(replay, started, live, after, visible);
  }

  /** The current state of every run in scope changed after `after`, oldest change first. */
  private async replay(workspaces: string[], filter: RunStreamFilter, after: string): Promise<OperationRun[]> {
    const runs = await this.prisma.operationRun.findMany({
      where: {
        changeId: { gt: BigInt(after) },
        tenant: { workspaceId: { in: workspaces } },
        ...(filter.tenantId ? { tenantId: filter.tenantId } : {}),
        ...(filter.runId ? { OR: [{ id: filter.runId }, { parentId: filter.runId }] } : {}),
      },
      orderBy: { changeId: 'asc' },
      take: this.replayLimit + 1,
    });
    if (runs.length > this.replayLimit) throw resyncRequired(this.replayLimit);
    return runs;
  }
}

/** A stream's first pull is where the subscription acknowledgement looks for its channels. */
type Pull<T> = () => Promise<IteratorResult<T>>;

function liveOnly(
  live: AsyncIterator<RunEvent>,
  visible: (event: RunEvent) => Promise<boolean>,
): AsyncIterable<OperationRun> {
  return stream(async () => {
    for (;;) {
      const step = await live.next();
      if (step.done) return step;
      if (await visible(step.value)) return { done: false, value: step.value.run };
    }
  }, live);
}

function handover(
  replay: OperationRun[],
  started: Promise<IteratorResult<RunEvent>>,
  live: AsyncIterator<RunEvent>,
  after: string,
  visible: (event: RunEvent) => Promise<boolean>,
): AsyncIterable<OperationRun> {
  const replayed = new Map(replay.map((run) => [run.id, String(run.changeId)]));
  let first: Promise<IteratorResult<RunEvent>> | null = started;
  let next = 0;
  const isNew = ({ run }: RunEvent) => {
    const changeId = String(run.changeId);
    const held = replayed.get(run.id) ?? after;
    return changeIdAfter(changeId, held);
  };
  let reported = false;
  return stream(async () => {
    if (!reported) {
      reported = true;
      reportSubscribed(Promise.resolve()); // listening already: the acknowledgement may go
    }
    if (next < replay.length) return { done: false, value: replay[next++] };
    for (;;) {
      const step = await (first ?? live.next());
      first = null;
      if (step.done) return step;
      if (isNew(step.value) && (await visible(step.value))) return { done: false, value: step.value.run };
    }
  }, live);
}

/** An async iterable around `pull`; return() ends the live source (and a pull waiting on it). */
function stream<T>(pull: Pull<T>, source: AsyncIterator<unknown>): AsyncIterable<T> {
  const iterator: AsyncIterableIterator<T> = {
    [Symbol.asyncIterator]: () => iterator,
    next: pull,
    async return() {
      await source.return?.();
      return { done: true, value: undefined };
    },
  };
  return iterator;
}
