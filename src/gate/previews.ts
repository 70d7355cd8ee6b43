// Start previews (docs/behaviour.md#previews-and-provider-connections): what a start would answer the caller right now, for
// many targets at once. Targets are loaded with the gate's own read, batched (one query per kind
// of target however many tenants are asked about, whole connection rows included, so what is shown
// is the snapshot that was judged), and judged by the gate's own `targetOf` and `decide`: nothing
// is recorded, queued or locked.
import type { ProviderConnection } from '../generated/prisma/client.js';
import { PublicError } from '../errors.js';
import { operation, type TargetKind, typesTargeting } from '../operations/catalogue.js';
import type { AdmissionStore, PreviewTarget } from './admission-store.js';
import type { PreviewText, StartResultPresenter } from './presenter.js';
import {
  decide,
  type Initiator,
  type ProviderCapabilities,
  type StartRequest,
  startRequest,
  targetOf,
} from './start-gate.js';

export type StartPreview = PreviewText & {
  /** The connection a start would pin (explicit, else the tenant's default); null when none would be. */
  providerConnection: ProviderConnection | null;
};

/** A target to preview every start of: its id, and the connection a start would name (none: the default). */
export type PreviewRequest = { targetId: string; providerConnectionId?: string | null };

/** Per request, in order: its previews, or the error its start would throw before deciding (NOT_FOUND). */
export type Previewed<T> = T | PublicError;

export class StartPreviews {
  constructor(
    private readonly store: AdmissionStore,
    private readonly presenter: StartResultPresenter,
    private readonly providers: ProviderCapabilities,
  ) {}

  /**
   * Every operation type whose start names a target of this kind (catalogue order), previewed on
   * each requested target: one query for all the targets, whatever their number.
   */
  async forTargets(
    initiator: Initiator,
    kind: TargetKind,
    requests: readonly PreviewRequest[],
  ): Promise<Previewed<StartPreview[]>[]> {
    const targets = await this.load(
      kind,
      requests.map((r) => r.targetId),
    );
    const types = typesTargeting(kind);
    return requests.map((r) =>
      attempt(() =>
        types.map((type) =>
          this.preview(
            initiator,
            startRequest(type, r.targetId, r.providerConnectionId ?? null),
            targets.get(r.targetId),
          ),
        ),
      ),
    );
  }

  private load(kind: TargetKind, ids: string[]): Promise<Map<string, PreviewTarget>> {
    switch (kind) {
      case 'tenant':
        return this.store.tenantTargets(ids);
      case 'restoreRun':
        return this.store.restoreRunTargets(ids);
      case 'providerConnection':
        return this.store.connectionTargets(ids);
    }
  }

  /** The gate's steps 2 to 5 on a target loaded in a batch, shown with the connection row read with it. */
  private preview(initiator: Initiator, req: StartRequest, found: PreviewTarget | undefined): StartPreview {
    const op = operation(req.type);
    const decision = decide(
      op,
      req,
      initiator,
      targetOf(op, found, req.providerConnectionId ?? null, initiator, this.providers),
    );
    const pinned = decision.connection ? found?.connections.find((c) => c.id === decision.connection?.id) : null;
    return { ...this.presenter.preview(decision), providerConnection: pinned ?? null };
  }
}

/** A refusal before the decision (NOT_FOUND) belongs to its own request, not to the whole batch. */
function attempt<T>(fn: () => T): Previewed<T> {
  try {
    return fn();
  } catch (err) {
    if (err instanceof PublicError) return err;
    throw err;
  }
}
