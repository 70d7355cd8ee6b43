// Start previews (CONTRACT.md section 9): what a start would answer the caller right now, for
// many targets at once. Targets are loaded with the gate's own read, batched (one query per kind
// of target however many tenants are asked about, plus one for the connections to show), and
// judged by the gate's own `targetOf` and `decide`: nothing is recorded, queued or locked.
import type { PrismaClient, ProviderConnection } from '../generated/prisma/client.js';
import type { OperationType } from '../generated/prisma/enums.js';
import { PublicError } from '../errors.js';
import { OPERATIONS, operation, type TargetKind } from '../operations/catalogue.js';
import type { AdmissionStore, GateTarget } from './admission-store.js';
import type { PreviewText, StartResultPresenter } from './presenter.js';
import { type Decision, decide, type Initiator, type StartRequest, targetOf } from './start-gate.js';

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
    private readonly prisma: Pick<PrismaClient, 'providerConnection'>,
  ) {}

  async forTenants(
    initiator: Initiator,
    requests: readonly TenantPreviewRequest[],
  ): Promise<Previewed<StartPreview[]>[]> {
    const targets = await this.store.tenantTargets(requests.map((r) => r.tenantId));
    const decided = requests.map((r) =>
      attempt(() =>
        TENANT_PREVIEW_TYPES.map((type) =>
          judge(initiator, { type, tenantId: r.tenantId, providerConnectionId: r.providerConnectionId ?? null }, targets.get(r.tenantId)),
        ),
      ),
    );
    const shown = await this.connections(decided.flatMap((d) => (d instanceof PublicError ? [] : d)));
    return decided.map((d) => (d instanceof PublicError ? d : d.map((one) => this.show(one, shown))));
  }

  async forRestoreRuns(initiator: Initiator, restoreRunIds: readonly string[]): Promise<Previewed<StartPreview>[]> {
    const targets = await this.store.restoreRunTargets(restoreRunIds);
    return this.single(
      restoreRunIds.map((id) => attempt(() => judge(initiator, { type: RESTORE, restoreRunId: id }, targets.get(id)))),
    );
  }

  async forConnectionChecks(
    initiator: Initiator,
    connectionIds: readonly string[],
  ): Promise<Previewed<StartPreview>[]> {
    const targets = await this.store.connectionTargets(connectionIds);
    return this.single(
      connectionIds.map((id) =>
        attempt(() => judge(initiator, { type: CONNECTION_CHECK, providerConnectionId: id }, targets.get(id))),
      ),
    );
  }

  private async single(decided: Previewed<Decision>[]): Promise<Previewed<StartPreview>[]> {
    const shown = await this.connections(decided.filter((d): d is Decision => !(d instanceof PublicError)));
    return decided.map((d) => (d instanceof PublicError ? d : this.show(d, shown)));
  }

  /** The full rows of the connections the previews would pin, in one query. */
  private async connections(decisions: Decision[]): Promise<Map<string, ProviderConnection>> {
    const ids = [...new Set(decisions.flatMap((d) => (d.connection ? [d.connection.id] : [])))];
    if (ids.length === 0) return new Map();
    const rows = await this.prisma.providerConnection.findMany({ where: { id: { in: ids } } });
    return new Map(rows.map((c) => [c.id, c]));
  }

  private show(decision: Decision, connections: Map<string, ProviderConnection>): StartPreview {
    const connection = decision.connection ? (connections.get(decision.connection.id) ?? null) : null;
    return { ...this.presenter.preview(decision), providerConnection: connection };
  }
}

/** The gate's steps 2 to 5 on a target loaded in a batch. */
function judge(initiator: Initiator, req: StartRequest, found: GateTarget | undefined): Decision {
  const op = operation(req.type);
  return decide(op, req, initiator, targetOf(op, found, req.providerConnectionId ?? null, initiator));
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
