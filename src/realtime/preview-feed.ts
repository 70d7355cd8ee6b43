// Live start previews (docs/behaviour.md#previews-and-provider-connections, `startPreviewsChanged`). What a start on a tenant
// would answer changes when a run on it changes (the run events RunLifecycle publishes, which also
// cover what a worker changed just before ending a run: a connection check's credential state, a
// bootstrap's tenant status) or when a connection is enabled, disabled or made the default (tenant
// events). After each such change the subscriber gets the tenant's list again, if it differs from
// the last list it got. The list depends only on the tenant and the subscriber's role, so it is
// computed once per change, tenant and role in this process, however many operators watch.
import { Repeater } from 'graphql-yoga';
import type { Viewer } from '../auth/viewer.js';
import { unauthenticated } from '../errors.js';
import type { StartPreview, StartPreviews } from '../gate/previews.js';
import type { RunEvent } from '../runs/events.js';
import type { TenantChangedEvent } from './bus.js';

export type ChangeSource = {
  runEvents(workspaceIds: readonly string[]): AsyncIterable<RunEvent>;
  tenantEvents(): AsyncIterable<TenantChangedEvent>;
};
export type Members = { current(userId: string): Promise<Viewer | null> };

/**
 * A change's identity: the one parsed event object every subscriber of this process is handed
 * (a run event's `run`, a tenant event itself), so equal changes share one computation.
 */
const changeOf = (event: RunEvent | TenantChangedEvent): { tenantId: string; identity: object } =>
  'run' in event
    ? { tenantId: event.run.tenantId, identity: event.run }
    : { tenantId: event.tenantId, identity: event };

/** What a subscriber would see change; a run's progress or a connection's name is not a new answer. */
const fingerprint = (list: StartPreview[]) =>
  JSON.stringify(
    list.map((p) => [
      p.type,
      p.status,
      p.message,
      p.reason?.code ?? null,
      p.nextSteps,
      p.run?.id ?? null,
      p.providerConnection
        ? [
            p.providerConnection.id,
            p.providerConnection.enabled,
            p.providerConnection.credentialState,
            p.providerConnection.isDefault,
          ]
        : null,
    ]),
  );

export class PreviewFeed {
  /** Lists computed by this process (the subscription test reads it: once per change, tenant and role). */
  computed = 0;
  private readonly byChange = new WeakMap<object, Map<string, Promise<StartPreview[]>>>();

  constructor(
    private readonly previews: StartPreviews,
    private readonly changes: ChangeSource,
    private readonly members: Members,
  ) {}

  /**
   * The tenant's previews for the user: once when subscribed, then after every change that alters them.
   * Changes that arrive while a list is computed or delivered are coalesced into one recomputation.
   */
  watch(userId: string, tenantId: string, workspaceId: string): AsyncIterableIterator<StartPreview[]> {
    return new Repeater<StartPreview[]>(async (push, stop) => {
      let pending: object | null = null;
      let wake: (() => void) | null = null;
      // Listening starts before the first list is computed, so no change falls in between. These
      // first pulls also add the pub/sub listeners the subscription acknowledgement waits for.
      const sources = [this.changes.runEvents([workspaceId]), this.changes.tenantEvents()].map((s) =>
        s[Symbol.asyncIterator](),
      );
      const listening = sources.map(async (it) => {
        try {
          for (;;) {
            const step = await Promise.race([it.next(), stop]);
            if (!step || step.done) return;
            const change = changeOf(step.value);
            if (change.tenantId !== tenantId) continue;
            pending = change.identity;
            wake?.();
          }
        } catch (err) {
          stop(err);
        }
      });

      let change: object | null = null; // null: the list as subscribed, computed for this subscriber alone
      let last: string | null = null;
      try {
        for (;;) {
          const list = await this.listFor(userId, tenantId, workspaceId, change);
          if (list) {
            const seen = fingerprint(list);
            if (seen !== last) {
              last = seen;
              await push(list);
            }
          }
          if (pending === null) {
            const woken = new Promise<boolean>((resolve) => (wake = () => resolve(true)));
            if (!(await Promise.race([woken, stop.then(() => false)]))) return;
            wake = null;
          }
          change = pending;
          pending = null;
        }
      } catch (err) {
        stop(err);
      } finally {
        stop();
        await Promise.all(sources.map((it) => it.return?.()));
        await Promise.all(listening);
      }
    });
  }

  /** Null while the user is not a member of the tenant's workspace (nothing is pushed); memberships as they are now. */
  private async listFor(
    userId: string,
    tenantId: string,
    workspaceId: string,
    change: object | null,
  ): Promise<StartPreview[] | null> {
    const viewer = await this.members.current(userId);
    if (!viewer) throw unauthenticated();
    const role = viewer.roles.get(workspaceId);
    if (!role) return null;
    if (!change) return this.compute(viewer, tenantId);
    let lists = this.byChange.get(change);
    if (!lists) this.byChange.set(change, (lists = new Map()));
    const key = `${tenantId}:${role}`;
    let list = lists.get(key);
    if (!list) lists.set(key, (list = this.compute(viewer, tenantId)));
    return list;
  }

  private async compute(viewer: Viewer, tenantId: string): Promise<StartPreview[]> {
    this.computed++;
    const [previews] = await this.previews.forTargets(viewer, 'tenant', [{ targetId: tenantId }]);
    if (previews instanceof Error) throw previews;
    return previews;
  }
}
