// What an operation handler gets and returns. Handlers are plain functions: they call the
// provider with the pinned connection, write the domain data they own, and return the outcome;
// RunLifecycle records it. They never write run rows: their database handle has no run or
// notification models (and .dependency-cruiser.cjs keeps them from importing src/runs/).
import type { Logger } from '../logger.js';
import type { OperationRun, PrismaClient, RestoreRun, Tenant } from '../generated/prisma/client.js';
import type { ReasonCode } from '../operations/reasons.js';
import type { CallContext, PinnedConnection, Provider } from '../providers/provider.js';
import type { Summary, TerminalStatus } from '../operations/status.js';

/** The domain data handlers own: tenants (verification), connections (checks), directory rows. */
export type DomainData = Pick<
  PrismaClient,
  'tenant' | 'providerConnection' | 'directoryGroup' | 'roleDefinition' | '$transaction' | '$executeRaw'
>;
/** What the batched directory upsert needs. */
export type DirectoryWriter = Pick<PrismaClient, '$transaction' | '$executeRaw'>;

export type JobContext = {
  run: OperationRun;
  tenant: Tenant;
  connection: PinnedConnection;
  restoreRun: RestoreRun | null;
  provider: Provider;
  prisma: DomainData;
  /** The run's child steps (a bootstrap's), in order. */
  steps(): Promise<OperationRun[]>;
  /** Saves the counts so far (between items), so they survive a cancel or a lost worker. */
  progress(summary: Summary): Promise<void>;
  /** Aborted when the run is cancelled: provider calls stop, handlers return at the next safe point. */
  signal: AbortSignal;
  call: CallContext;
  log: Logger;
  /** Runs one child step (a bootstrap's) through the executor; resolves with the step's final row. */
  executeStep(stepRunId: string): Promise<OperationRun>;
};

export type HandlerResult = { status: TerminalStatus; summary: Summary; reason?: { code: ReasonCode; step?: string } };

export type OperationHandler = (ctx: JobContext) => Promise<HandlerResult>;

export const succeeded = (count: number): HandlerResult => ({
  status: 'SUCCEEDED',
  summary: { total: count, succeeded: count, failed: 0, skipped: 0 },
});
