// Start previews (CONTRACT.md section 9): what a start would answer the caller right now, for
// many targets at once. Targets are loaded with the gate's own read, batched (one query per kind
// of target however many tenants are asked about, whole connection rows included, so what is shown
// is the snapshot that was judged), and judged by the gate's own `targetOf` and `decide`: nothing
// is recorded, queued or locked.
import type { ProviderConnection } from '../generated/prisma/client.js';
import type { OperationType } from '../generated/prisma/enums.js';
import { PublicError } from '../errors.js';
import { OPERATIONS, operation, type TargetKind } from '../operations/catalogue.js';
import type { AdmissionStore, PreviewTarget } from './admission-store.js';
import type { PreviewText, StartResultPresenter } from './presenter.js';
import { decide, type Initiator, type StartRequest, targetOf } from './start-gate.js';

export type StartPreview = PreviewText & {
  /** The connection a start would pin (explicit, else the tenant's default); null when none would be. */
  providerConnection: ProviderConnection | null;
};

const typesTargeting = (kind: TargetKind): OperationType[] =>
  Object.values(OPERATIONS)
    .filter((o) => o.target === kind)
    .map((o) => o.type);

/** `Tenant.startPreviews`: every operation whose start names the tenant (both syncs, verification, bootstrap). */
export const TENANT_PREVIEW_TYPES: readonly OperationType[] = typesTargeting('tenant');
const [RESTORE] = typesTargeting('restoreRun');
const [CONNECTION_CHECK] = typesTargeting('providerConnection');

export type TenantPreviewRequest = { tenantId: string; providerConnectionId?: string | null };

/** Per request, in order: its previews, or the error its start would throw before deciding (NOT_FOUND). */
export type Previewed<T> = T | PublicError;

export class StartPreviews {
  constructor(
    private readonly store: AdmissionStore,
    private readonly presenter: StartResultPresenter,
  ) {}

  async forTenants(
    initiator: Initiator,
    requests: readonly TenantPreviewRequest[],
  ): Promise<Previewed<StartPreview[]>[]> {
    const targets = await this.store.tenantTargets(requests.map((r) => r.tenantId));
    return requests.map((r) =>
      attempt(() =>
        TENANT_PREVIEW_TYPES.map((type) =>
          this.preview(
            initiator,
            { type, tenantId: r.tenantId, providerConnectionId: r.providerConnectionId ?? null },
            targets.get(r.tenantId),
          ),
        ),
      ),
    );
  }

  async forRestoreRuns(initiator: Initiator, restoreRunIds: readonly string[]): Promise<Previewed<StartPreview>[]> {
    const targets = await this.store.restoreRunTargets(restoreRunIds);
    return restoreRunIds.map((id) =>
      attempt(() => this.preview(initiator, { type: RESTORE, restoreRunId: id }, targets.get(id))),
    );
  }

  async forConnectionChecks(
    initiator: Initiator,
    connectionIds: readonly string[],
  ): Promise<Previewed<StartPreview>[]> {
    const targets = await this.store.connectionTargets(connectionIds);
    return connectionIds.map((id) =>
      attempt(() => this.preview(initiator, { type: CONNECTION_CHECK, providerConnectionId: id }, targets.get(id))),
    );
  }

  /** The gate's steps 2 to 5 on a target loaded in a batch, shown with the connection row read with it. */
  private preview(initiator: Initiator, req: StartRequest, found: PreviewTarget | undefined): StartPreview {
    const op = operation(req.type);
    const decision = decide(op, req, initiator, targetOf(op, found, req.providerConnectionId ?? null, initiator));
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
