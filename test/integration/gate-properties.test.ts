// Property-based test of the start gate's invariants (issue 9) on real Postgres, Redis and BullMQ.
// fast-check generates scenarios: sequences of up to MAX_ACTIONS actions, each a start (all six
// types, six seeded tenants, owner / manager / operator / reader / outsider / SYSTEM, through the
// gate of this "process", of a second one, or over GraphQL), a burst of such starts and run
// transitions fired together, a run transition driven through RunLifecycle as a worker would
// (running, succeeded, partially succeeded, failed; a bootstrap one step at a time), or a
// connection change (enabled, credential state, the tenant's default, a provider fault). After
// every action the invariants (test/support/gate-invariants.ts) and the action's own bookkeeping
// are checked against the database and the queue; at the end real workers drain every admitted
// run and the end state is checked. Reproduce a failure with the seed (and path) fast-check
// prints: PROPERTY_SEED=<seed> PROPERTY_PATH=<path> npx vitest run test/integration/gate-properties.test.ts
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stableId } from '../../src/seed/demo.js';
import type { Services } from '../../src/app.js';
import { PublicError } from '../../src/errors.js';
import { Prisma } from '../../src/generated/prisma/client.js';
import type { CredentialState, OperationRunStatus, OperationType } from '../../src/generated/prisma/enums.js';
import { needsConnection, operation } from '../../src/operations/catalogue.js';
import type { ReasonCode } from '../../src/operations/reasons.js';
import { SYSTEM, type Initiator, type StartRequest, startRequest } from '../../src/gate/start-gate.js';
import { startWorkers } from '../../src/jobs/worker.js';
import type { RunEnd, Summary } from '../../src/runs/lifecycle.js';
import type { StartResultFieldsFragment } from '../generated/graphql.js';
import { StartOperation } from '../support/documents.js';
import { gateInvariantViolations } from '../support/gate-invariants.js';
import { waitFor } from '../support/wait.js';
import { describeRun, propertyRun } from '../support/property-run.js';
import { createWorld, ids, type World } from '../support/world.js';
import {
  ALL_CONNECTIONS,
  CONNECTIONS,
  TENANTS,
  TENANTS_WITH_CONNECTIONS,
  type TenantName,
} from '../support/seeded-fixtures.js';

/** Scenarios per run of this file, and actions per scenario (a burst counts as one). */
const RUN = propertyRun(30);
const MAX_ACTIONS = 20;
/** After the first failure, shrinking stops once this much time has passed (each attempt replays a scenario). */
const SHRINK_BUDGET_MS = Number(process.env.PROPERTY_SHRINK_MS ?? 90_000);

// ---- the seeded world the scenarios play in ------------------------------------------------

/** Alpine's restore run is seeded; the test gives every other tenant one too (reset to READY per scenario). */
const restoreRunOf = (tenant: TenantName) =>
  tenant === 'Alpine' ? ids.restoreRun('Alpine') : stableId(`restore:${tenant}:property-test`);
const RESTORE_ITEMS = [
  { kind: 'compliancePolicy', name: 'Windows 11 baseline' },
  { kind: 'configurationProfile', name: 'BitLocker' },
];

const USERS = {
  owner: 'owner@contoso.test',
  manager: 'manager@contoso.test',
  operator: 'operator@contoso.test',
  reader: 'reader@contoso.test',
  outsider: 'outsider@other.test',
} as const;
type Who = keyof typeof USERS | 'system';

const TYPES: readonly OperationType[] = [
  'RESTORE_EXECUTE',
  'DIRECTORY_GROUPS_SYNC',
  'ROLE_DEFINITIONS_SYNC',
  'TENANT_VERIFICATION',
  'PROVIDER_CONNECTION_CHECK',
  'ONBOARDING_BOOTSTRAP',
];
/** docs/behaviour.md#operations-catalogue: who may start what (SYSTEM may start anything; every target is in Contoso MSP). */
const MANAGERS_ONLY: readonly OperationType[] = ['RESTORE_EXECUTE', 'ONBOARDING_BOOTSTRAP'];

function expectedError(who: Who, type: OperationType): 'NOT_FOUND' | 'FORBIDDEN' | null {
  if (who === 'outsider') return 'NOT_FOUND';
  if (who === 'reader' || (who === 'operator' && MANAGERS_ONLY.includes(type))) return 'FORBIDDEN';
  return null;
}

// ---- actions -------------------------------------------------------------------------------

type Start = {
  kind: 'start';
  type: OperationType;
  tenant: TenantName;
  /** null: no providerConnectionId (the tenant's default); n: the tenant's n-th connection (mod count). */
  connection: number | null;
  who: Who;
  /** Which surface: this process's gate, a second process's gate, or GraphQL (SYSTEM always uses a gate). */
  via: 'gate' | 'gate2' | 'graphql';
};
/** Moves the pick-th active top-level run (ordered by dedupe key) one step towards `to`, as a worker would. */
type Advance = { kind: 'advance'; pick: number; to: 'RUNNING' | 'SUCCEEDED' | 'PARTIALLY_SUCCEEDED' | 'FAILED' };
type SetEnabled = { kind: 'enabled'; connection: number; enabled: boolean };
type SetCredentials = { kind: 'credentials'; connection: number; state: CredentialState };
/** Switches the tenant's default connection (null: the tenant has none) in one transaction. */
type SwitchDefault = { kind: 'default'; tenant: TenantName; connection: number | null };
/** A provider fault the workers meet in the drain (the simulated provider's per-connection settings). */
type SetFault = { kind: 'fault'; connection: number; fault: 'none' | 'throttle' | 'authFailure' | 'failItems' };
/** The tenant's restore run prepared again after an execution ended it. */
type ReadyRestore = { kind: 'readyRestore'; tenant: TenantName };
type Atom = Start | Advance | SetEnabled | SetCredentials;
/** Several atoms fired at once (Promise.all): identical starts, or a mix of starts, transitions and connection edits. */
type Burst = { kind: 'burst'; atoms: Atom[] };
// Extension point: cancelOperationRun (docs/behaviour.md#cancelling-a-run) does not exist yet. When it does,
// add `type Cancel = { kind: 'cancel'; pick: number; who: Who }` to Atom (so cancels also race
// starts and transitions in bursts), generate it in atomArb, apply it in applyAtom through
// world.gql or the cancel service, and check its answer like a start's (a cancelled QUEUED run is
// CANCELLED without startedAt, a RUNNING one stays active until its worker stops). The standing
// invariants already count CANCELLED as an end: one notification to the initiator, scope released.
type Action = Atom | SwitchDefault | SetFault | ReadyRestore | Burst;

const tenantArb = fc.oneof(
  // Collisions are where the gate earns its keep: most starts go to the three tenants that can admit.
  { weight: 3, arbitrary: fc.constantFrom<TenantName>('Alpine', 'Birch', 'Elm') },
  { weight: 1, arbitrary: fc.constantFrom<TenantName>('Cedar', 'Dune', 'Fir') },
);
const whoArb = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Who>('owner') },
  { weight: 3, arbitrary: fc.constantFrom<Who>('manager', 'operator', 'system') },
  { weight: 1, arbitrary: fc.constantFrom<Who>('reader', 'outsider') },
);
const startArb: fc.Arbitrary<Start> = fc.record({
  kind: fc.constant('start' as const),
  type: fc.constantFrom(...TYPES),
  tenant: tenantArb,
  connection: fc.option(fc.nat(3), { freq: 3 }),
  who: whoArb,
  via: fc.constantFrom('gate' as const, 'gate2' as const, 'graphql' as const),
});
const advanceArb: fc.Arbitrary<Advance> = fc.record({
  kind: fc.constant('advance' as const),
  pick: fc.nat(20),
  to: fc.constantFrom('RUNNING' as const, 'SUCCEEDED' as const, 'PARTIALLY_SUCCEEDED' as const, 'FAILED' as const),
});
const connectionArb = fc.nat(ALL_CONNECTIONS.length - 1);
// Enabling twice as likely as disabling, for the same reason as VALID credentials below.
const enabledArb: fc.Arbitrary<SetEnabled> = fc.record({
  kind: fc.constant('enabled' as const),
  connection: connectionArb,
  enabled: fc.constantFrom(true, true, false),
});
const credentialsArb: fc.Arbitrary<SetCredentials> = fc.record({
  kind: fc.constant('credentials' as const),
  connection: connectionArb,
  // VALID twice as likely: otherwise most connections end up unusable and most starts BLOCKED.
  state: fc.constantFrom<CredentialState>('VALID', 'VALID', 'EXPIRED', 'MISSING', 'CONSENT_REQUIRED'),
});
const atomArb: fc.Arbitrary<Atom> = fc.oneof(
  { weight: 5, arbitrary: startArb },
  { weight: 2, arbitrary: advanceArb },
  { weight: 1, arbitrary: fc.oneof(enabledArb, credentialsArb) },
);
const VIAS = ['gate', 'gate2', 'graphql'] as const;
const burstArb: fc.Arbitrary<Burst> = fc.oneof(
  // The same click n times, spread over both gate "processes" and GraphQL.
  fc.tuple(startArb, fc.integer({ min: 2, max: 8 })).map(
    ([start, n]): Burst => ({
      kind: 'burst',
      atoms: Array.from({ length: n }, (_, i) => ({
        ...start,
        via: VIAS[(VIAS.indexOf(start.via) + i) % VIAS.length],
      })),
    }),
  ),
  fc.array(atomArb, { minLength: 2, maxLength: 6 }).map((atoms): Burst => ({ kind: 'burst', atoms })),
);
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 6, arbitrary: startArb },
  { weight: 3, arbitrary: burstArb },
  { weight: 5, arbitrary: advanceArb },
  { weight: 1, arbitrary: enabledArb },
  { weight: 1, arbitrary: credentialsArb },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('default' as const),
      tenant: fc.constantFrom(...TENANTS_WITH_CONNECTIONS),
      connection: fc.option(fc.nat(3), { freq: 4 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('fault' as const),
      connection: connectionArb,
      fault: fc.constantFrom<SetFault['fault']>('none', 'throttle', 'authFailure', 'failItems'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('readyRestore' as const), tenant: tenantArb }) },
);
// Lengths uniform up to MAX_ACTIONS: fast-check's default size and bias favour short arrays, and an interleaving needs length.
const scenarioArb = fc.noBias(fc.array(actionArb, { minLength: 1, maxLength: MAX_ACTIONS, size: 'max' }));

// ---- the world -----------------------------------------------------------------------------

let world: World;
/** A second API process's services (own Prisma, Redis and lock clients) on the same database and Redis. */
let second: Services;
const initiators = new Map<Who, Initiator>();

beforeAll(async () => {
  world = await createWorld({
    SIM_LATENCY_MS: 0,
    RETRY_BASE_MS: 5,
    RUN_MAX_ATTEMPTS: 3,
    // The reconciler re-dispatches runs without a job: it must not hide a start that forgot its job.
    RECONCILE_INTERVAL_MS: 600_000,
  });
  second = world.spawnServices();
  for (const [who, email] of Object.entries(USERS) as [Who, string][]) {
    const memberships = await world.services.prisma.membership.findMany({ where: { userId: ids.user(email) } });
    initiators.set(who, { userId: ids.user(email), roles: new Map(memberships.map((m) => [m.workspaceId, m.role])) });
  }
  initiators.set('system', SYSTEM);
});

afterAll(async () => {
  await world?.close();
});

/** Back to the seeded state, plus the test's own restore runs, with no provider faults. */
async function resetWorld(): Promise<void> {
  const prisma = world.services.prisma;
  // Defaults the scenario moved are cleared before re-seeding (at most one default per tenant is
  // enforced, so the seeded default must not meet a moved one), and faults are not seed columns.
  await prisma.providerConnection.updateMany({ data: { isDefault: false, simulation: Prisma.DbNull } });
  await world.reset();
  for (const tenant of TENANTS.filter((t) => t !== 'Alpine')) {
    const id = restoreRunOf(tenant);
    const row = {
      tenantId: ids.tenant(tenant),
      name: `${tenant} property-test restore`,
      status: 'READY' as const,
      items: RESTORE_ITEMS,
    };
    await prisma.restoreRun.upsert({ where: { id }, create: { id, ...row }, update: row });
  }
}

// ---- applying actions ----------------------------------------------------------------------

/** What the scenarios exercised, printed at the end: a generator that stopped reaching a path shows here. */
const stats = {
  scenarios: 0,
  actions: 0,
  answers: {} as Record<string, number>,
  transitions: {} as Record<string, number>,
  endedByWorkers: {} as Record<string, number>,
};
const count = (into: Record<string, number>, key: string) => void (into[key] = (into[key] ?? 0) + 1);

type Answer = { status: 'QUEUED' | 'ALREADY_RUNNING' | 'SCOPE_BUSY' | 'BLOCKED'; runId: string } | { error: string };

function requestOf(start: Start): StartRequest {
  const own = CONNECTIONS[start.tenant];
  const explicit = start.connection !== null && own.length ? own[start.connection % own.length] : null;
  switch (operation(start.type).target) {
    case 'restoreRun':
      return startRequest(start.type, restoreRunOf(start.tenant), explicit);
    case 'providerConnection':
      // A check names a connection: the tenant's, or (Cedar has none) one of another tenant.
      return startRequest(
        start.type,
        explicit ?? own[0] ?? ALL_CONNECTIONS[(start.connection ?? 0) % ALL_CONNECTIONS.length].id,
        null,
      );
    case 'tenant':
      return startRequest(start.type, ids.tenant(start.tenant), explicit);
  }
}

async function startThroughGate(services: Services, start: Start): Promise<Answer> {
  try {
    const outcome = await services.gate.start(initiators.get(start.who)!, requestOf(start));
    return { status: outcome.status, runId: outcome.status === 'SCOPE_BUSY' ? outcome.blockingRun.id : outcome.run.id };
  } catch (err) {
    if (err instanceof PublicError) return { error: err.code };
    throw err;
  }
}

const TYPENAMES = {
  StartAccepted: 'QUEUED',
  StartDeduped: 'ALREADY_RUNNING',
  StartScopeBusy: 'SCOPE_BUSY',
  StartBlocked: 'BLOCKED',
} as const;

type StartResponse = {
  data?: { result: StartResultFieldsFragment } | null;
  errors?: readonly { extensions?: Record<string, unknown> }[];
};

/** Every type through startOperation, with the target the gate request names. */
function sendStart(start: Start, as: string): Promise<StartResponse> {
  const req = requestOf(start);
  const targetId =
    operation(start.type).target === 'tenant'
      ? req.tenantId!
      : operation(start.type).target === 'restoreRun'
        ? req.restoreRunId!
        : req.providerConnectionId!;
  const providerConnectionId = needsConnection(operation(start.type)) ? null : (req.providerConnectionId ?? null);
  return world.gql(StartOperation, { type: start.type, targetId, providerConnectionId }, as);
}

async function startThroughGraphql(start: Start): Promise<Answer> {
  const res = await sendStart(start, USERS[start.who as keyof typeof USERS]);
  if (res.errors?.length) return { error: String(res.errors[0].extensions?.code) };
  const result = res.data!.result;
  const status = TYPENAMES[result.__typename];
  expect(result.status, `${result.__typename} carries status ${result.status}`).toBe(status);
  return { status, runId: result.__typename === 'StartScopeBusy' ? result.blockingRun.id : result.run.id };
}

function startOf(start: Start): Promise<Answer> {
  if (start.via === 'graphql' && start.who !== 'system') return startThroughGraphql(start);
  return startThroughGate(start.via === 'gate2' ? second : world.services, start);
}

type RunRow = {
  id: string;
  type: OperationType;
  status: OperationRunStatus;
  dedupeKey: string;
  parentId: string | null;
};

/** Active top-level runs in a stable order (dedupe keys are unique among them), so a pick names the same run on replay. */
async function activeTopLevel(): Promise<RunRow[]> {
  return world.services.prisma.$queryRaw<RunRow[]>`
    SELECT id, type, status, "dedupeKey", "parentId" FROM "OperationRun"
    WHERE "parentId" IS NULL AND status IN ('QUEUED', 'RUNNING') ORDER BY "dedupeKey"`;
}

const ZERO: Summary = { total: 0, succeeded: 0, failed: 0, skipped: 0 };

/** How a worker would end a run of this type with this status. */
function endOf(status: 'SUCCEEDED' | 'PARTIALLY_SUCCEEDED' | 'FAILED', type: OperationType): RunEnd {
  if (status === 'SUCCEEDED') return { status, summary: { total: 2, succeeded: 2, failed: 0, skipped: 0 } };
  if (status === 'PARTIALLY_SUCCEEDED') {
    const reason = type === 'RESTORE_EXECUTE' ? { code: 'RESTORE_ITEMS_PARTIALLY_FAILED' as const } : undefined;
    return { status, summary: { total: 2, succeeded: 1, failed: 1, skipped: 0 }, reason };
  }
  const code: ReasonCode = type === 'RESTORE_EXECUTE' ? 'RESTORE_ITEMS_FAILED' : 'PROVIDER_PERMISSION_DENIED';
  return { status, summary: ZERO, reason: { code } };
}

async function advanceRun(run: RunRow, to: Advance['to']): Promise<void> {
  const lifecycle = world.services.lifecycle;
  if (run.type === 'ONBOARDING_BOOTSTRAP') return advanceBootstrap(run, to);
  if (to === 'RUNNING') {
    if (run.status === 'QUEUED') await lifecycle.markRunning(run.id);
    return;
  }
  // From QUEUED too: the worker's pre-execute guard ends a run without running it.
  await lifecycle.finish(run.id, endOf(to, run.type));
}

const STEP_DONE: readonly OperationRunStatus[] = ['SUCCEEDED', 'PARTIALLY_SUCCEEDED'];

/** One notch of a bootstrap, in the order its handler and RunExecutor take them. */
async function advanceBootstrap(parent: RunRow, to: Advance['to']): Promise<void> {
  const lifecycle = world.services.lifecycle;
  if (parent.status === 'QUEUED') {
    if (to !== 'FAILED') {
      await lifecycle.markRunning(parent.id);
      return;
    }
    // The pre-execute guard: the pinned connection became unusable; the steps never start (they
    // end with the bootstrap, with its reason).
    await lifecycle.finish(parent.id, {
      status: 'FAILED',
      summary: ZERO,
      reason: { code: 'PROVIDER_CONNECTION_DISABLED' },
    });
    return;
  }
  const steps = await world.services.prisma.operationRun.findMany({
    where: { parentId: parent.id },
    orderBy: { step: 'asc' },
  });
  const next = steps.find((s) => !STEP_DONE.includes(s.status));
  if (!next) {
    await lifecycle.finish(parent.id, {
      status: 'SUCCEEDED',
      summary: { total: steps.length, succeeded: steps.length, failed: 0, skipped: 0 },
    });
  } else if (next.status === 'QUEUED') {
    await lifecycle.markRunning(next.id);
  } else if (next.status === 'RUNNING') {
    const status = to === 'RUNNING' ? 'SUCCEEDED' : to;
    await lifecycle.finish(next.id, endOf(status, next.type));
    if (status !== 'FAILED') return;
    const label = operation(next.type).label;
    const done = steps.indexOf(next);
    await lifecycle.finish(parent.id, {
      status: 'FAILED',
      summary: { total: steps.length, succeeded: done, failed: 1, skipped: steps.length - done - 1 },
      reason: { code: 'BOOTSTRAP_STEP_FAILED', step: label },
    });
  }
}

async function applyConnectionEdit(atom: SetEnabled | SetCredentials): Promise<void> {
  const { id } = ALL_CONNECTIONS[atom.connection];
  const data = atom.kind === 'enabled' ? { enabled: atom.enabled } : { credentialState: atom.state };
  await world.services.prisma.providerConnection.update({ where: { id }, data });
}

async function switchDefault(action: SwitchDefault): Promise<void> {
  const prisma = world.services.prisma;
  const own = CONNECTIONS[action.tenant];
  const to = action.connection === null ? null : own[action.connection % own.length];
  // Unset the old default before setting the new one: at most one default per tenant at any time.
  await prisma.$transaction([
    prisma.providerConnection.updateMany({
      where: { tenantId: ids.tenant(action.tenant), isDefault: true },
      data: { isDefault: false },
    }),
    ...(to ? [prisma.providerConnection.update({ where: { id: to }, data: { isDefault: true } })] : []),
  ]);
}

const FAULTS = {
  none: Prisma.DbNull,
  throttle: { throttle: 1 },
  authFailure: { authFailure: true },
  failItems: { failItems: [RESTORE_ITEMS[0].name] },
} as const;

/** What one action did: the answers of its starts, each with the start that got it. */
type Applied = { start: Start; answer: Answer }[];

async function applyAtoms(atoms: Atom[]): Promise<Applied> {
  // Transitions target distinct runs, chosen before anything fires: two "workers" never drive one run.
  const active = atoms.some((a) => a.kind === 'advance') ? await activeTopLevel() : [];
  const driven = new Set<string>();
  const work = atoms.map(async (atom): Promise<Applied> => {
    if (atom.kind === 'start') return [{ start: atom, answer: await startOf(atom) }];
    if (atom.kind === 'advance') {
      const run = active.length ? active[atom.pick % active.length] : undefined;
      if (run && !driven.has(run.id)) {
        driven.add(run.id);
        count(
          stats.transitions,
          `${run.type === 'ONBOARDING_BOOTSTRAP' ? 'bootstrap ' : ''}${run.status} -> ${atom.to}`,
        );
        await advanceRun(run, atom.to);
      }
      return [];
    }
    await applyConnectionEdit(atom);
    return [];
  });
  // allSettled: a failing atom must not leave the others running into the next check or scenario.
  const settled = await Promise.allSettled(work);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.flatMap((s) => (s as PromiseFulfilledResult<Applied>).value);
}

async function apply(action: Action): Promise<Applied> {
  const prisma = world.services.prisma;
  switch (action.kind) {
    case 'burst':
      return applyAtoms(action.atoms);
    case 'default':
      await switchDefault(action);
      return [];
    case 'fault':
      await prisma.providerConnection.update({
        where: { id: ALL_CONNECTIONS[action.connection].id },
        data: { simulation: FAULTS[action.fault] },
      });
      return [];
    case 'readyRestore':
      await prisma.restoreRun.update({ where: { id: restoreRunOf(action.tenant) }, data: { status: 'READY' } });
      return [];
    default:
      return applyAtoms([action]);
  }
}

// ---- bookkeeping and checks ----------------------------------------------------------------

type Snapshot = {
  id: string;
  parentId: string | null;
  status: OperationRunStatus;
  finishedAt: string | null;
  initiatorId: string | null;
  providerConnectionId: string | null;
};

const snapshot = () =>
  world.services.prisma.$queryRaw<Snapshot[]>`
    SELECT id, "parentId", status, "finishedAt"::text AS "finishedAt", "initiatorId", "providerConnectionId" FROM "OperationRun"`;

const ACTIVE: readonly OperationRunStatus[] = ['QUEUED', 'RUNNING'];

/** What one scenario has seen so far. */
class Ledger {
  /** Runs the gate admitted (answered QUEUED), with the connection pinned at admission. */
  readonly admitted = new Map<string, { connectionId: string | null }>();
  readonly blocked = new Set<string>();
  /** Every run seen ended, as it was first seen: an ended run is never rewritten. */
  readonly ended = new Map<string, string>();
  known = new Set<string>();

  /** Checks one action's effects against the database and the queue; `context` names the action in failures. */
  async check(applied: Applied, context: string): Promise<Snapshot[]> {
    const rows = await snapshot();
    const byId = new Map(rows.map((r) => [r.id, r]));
    const answered = { QUEUED: new Set<string>(), BLOCKED: new Set<string>() };

    for (const { start, answer } of applied) {
      count(stats.answers, 'error' in answer ? answer.error : answer.status);
      const where = `${context}: ${JSON.stringify(start)} answered ${JSON.stringify(answer)}`;
      const error = expectedError(start.who, start.type);
      if (error || 'error' in answer) {
        expect('error' in answer ? answer.error : answer.status, where).toBe(error);
        continue;
      }
      expect(byId.has(answer.runId), `${where}: the run it names exists`).toBe(true);
      if (answer.status === 'QUEUED') {
        expect(answered.QUEUED.has(answer.runId), `${where}: two starts admitted the same run`).toBe(false);
        answered.QUEUED.add(answer.runId);
        expect(byId.get(answer.runId)!.initiatorId, where).toBe(
          start.who === 'system' ? null : ids.user(USERS[start.who]),
        );
        this.admitted.set(answer.runId, { connectionId: byId.get(answer.runId)!.providerConnectionId });
        // Exactly one job per admission, there by the time the start answered (job id = run id).
        const job = await world.services.dispatcher.getJob(answer.runId);
        expect(job?.data.runId, `${where}: its BullMQ job`).toBe(answer.runId);
      } else if (answer.status === 'BLOCKED') {
        answered.BLOCKED.add(answer.runId);
        this.blocked.add(answer.runId);
        expect(byId.get(answer.runId)!.status, `${where}: the blocked run`).toBe('BLOCKED');
        expect(await world.services.dispatcher.getJob(answer.runId), `${where}: a blocked run has no job`).toBeFalsy();
      }
    }

    // Every row this action created is accounted for: a QUEUED answer's run and its steps, or a
    // BLOCKED answer's run. A deduped, busy, forbidden or not-found start created nothing, and a
    // blocked start no QUEUED row.
    const created = rows.filter((r) => !this.known.has(r.id));
    expect(
      created
        .filter((r) => r.parentId === null)
        .map((r) => r.id)
        .sort(),
      `${context}: top-level runs created = the QUEUED and BLOCKED answers`,
    ).toEqual([...answered.QUEUED, ...answered.BLOCKED].sort());
    for (const step of created.filter((r) => r.parentId !== null)) {
      expect(
        answered.QUEUED.has(step.parentId!),
        `${context}: step ${step.id} belongs to a run admitted just now`,
      ).toBe(true);
    }
    this.known = new Set(rows.map((r) => r.id));

    for (const row of rows) {
      if (ACTIVE.includes(row.status)) continue;
      const seen = `${row.status} ${row.finishedAt}`;
      const before = this.ended.get(row.id);
      if (before === undefined) this.ended.set(row.id, seen);
      else expect(seen, `${context}: ended run ${row.id} was rewritten`).toBe(before);
    }

    expect(await gateInvariantViolations(world.services.prisma), context).toEqual([]);
    return rows;
  }
}

/** Real workers execute everything still active; then nothing may be left behind. */
async function drainAndCheck(ledger: Ledger): Promise<void> {
  const prisma = world.services.prisma;
  const queue = world.services.dispatcher;
  const activeBefore = new Set((await snapshot()).filter((r) => ACTIVE.includes(r.status)).map((r) => r.id));
  const workers = await startWorkers(world.services);
  try {
    // Runs ended by the scenario still have their jobs queued: wait for those to be processed too.
    const pending = async () =>
      (await prisma.operationRun.count({ where: { status: { in: ['QUEUED', 'RUNNING'] } } })) +
      Object.values(await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized')).reduce((a, b) => a + b, 0);
    await waitFor(async () => (await pending()) === 0, {
      timeoutMs: 20_000,
      what: 'every admitted run (and step) to end and every job to be processed',
    });
  } finally {
    await workers.close();
  }
  const rows = await ledger.check([], 'after the drain');
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const id of activeBefore) count(stats.endedByWorkers, byId.get(id)!.status);
  for (const [runId, { connectionId }] of ledger.admitted) {
    expect(ACTIVE.includes(byId.get(runId)!.status), `admitted run ${runId} ended`).toBe(false);
    // Connection edits and default switches never re-pin an admitted run (docs/behaviour.md#previews-and-provider-connections).
    expect(byId.get(runId)!.providerConnectionId, `admitted run ${runId} kept its pinned connection`).toBe(
      connectionId,
    );
    expect((await queue.getJob(runId))?.data.runId, `admitted run ${runId} kept its job`).toBe(runId);
  }
  for (const runId of ledger.blocked) {
    expect(byId.get(runId)!.status, `blocked run ${runId}`).toBe('BLOCKED');
    expect(await queue.getJob(runId), `blocked run ${runId} never got a job`).toBeFalsy();
  }
  // One job per admission, none for steps or blocked starts, and every one of them processed.
  const counts = await queue.getJobCounts(
    'waiting',
    'active',
    'delayed',
    'prioritized',
    'waiting-children',
    'completed',
    'failed',
  );
  expect(counts.completed, JSON.stringify(counts)).toBe(ledger.admitted.size);
  expect(
    Object.values(counts).reduce((a, b) => a + b, 0),
    JSON.stringify(counts),
  ).toBe(ledger.admitted.size);
}

async function runScenario(actions: Action[]): Promise<void> {
  await resetWorld();
  stats.scenarios++;
  stats.actions += actions.length;
  const ledger = new Ledger();
  ledger.known = new Set((await snapshot()).map((r) => r.id));
  for (const [i, action] of actions.entries()) {
    const applied = await apply(action);
    await ledger.check(applied, `after action ${i} (${action.kind})`);
  }
  await drainAndCheck(ledger);
}

// ---- the property --------------------------------------------------------------------------

describe('start gate invariants over random interleavings', () => {
  it('the invariant checks see violations made behind the gate (positive control)', async () => {
    await resetWorld();
    const prisma = world.services.prisma;
    const owner = initiators.get('owner')!;
    const sync = await world.services.gate.start(owner, {
      type: 'DIRECTORY_GROUPS_SYNC',
      tenantId: ids.tenant('Alpine'),
    });
    const system = await world.services.gate.start(SYSTEM, {
      type: 'TENANT_VERIFICATION',
      tenantId: ids.tenant('Elm'),
    });
    expect([sync.status, system.status]).toEqual(['QUEUED', 'QUEUED']);
    expect(await gateInvariantViolations(prisma)).toEqual([]);

    // An exclusive run inserted beside the active sync, and a notification for a system run.
    await prisma.operationRun.create({
      data: {
        type: 'RESTORE_EXECUTE',
        status: 'QUEUED',
        tenantId: ids.tenant('Alpine'),
        dedupeKey: 'behind-the-gate',
        scopeClass: 'EXCLUSIVE',
      },
    });
    if (system.status !== 'QUEUED') throw new Error('unreachable');
    await world.services.lifecycle.finish(system.run.id, { status: 'SUCCEEDED' });
    await prisma.notification.create({
      data: { userId: ids.user(USERS.owner), runId: system.run.id, title: 'Tenant verification succeeded', body: '' },
    });
    expect((await gateInvariantViolations(prisma)).map((v) => v.invariant)).toEqual([
      'never an exclusive run beside another active run on a tenant',
      'no notification for an active, blocked, undispatched or system run, a bootstrap step, or anyone but the initiator',
    ]);
  });

  it(
    `hold for ${RUN.numRuns} random scenarios of up to ${MAX_ACTIONS} actions, and after real workers drain them`,
    async () => {
      console.info(describeRun('gate properties', RUN));
      let firstFailureAt: number | null = null;
      await fc.assert(
        fc.asyncProperty(scenarioArb, async (actions) => {
          // Each shrink step replays a whole scenario: past the budget, the smallest failure found so far is reported.
          fc.pre(firstFailureAt === null || Date.now() - firstFailureAt < SHRINK_BUDGET_MS);
          try {
            await runScenario(actions);
          } catch (err) {
            firstFailureAt ??= Date.now();
            throw err;
          }
        }),
        { ...RUN, endOnFailure: process.env.PROPERTY_SHRINK === '0' },
      );
      console.info(`gate properties: ${JSON.stringify(stats)}`);
    },
    // Passing runs take a fraction of this; a failure also shrinks for up to SHRINK_BUDGET_MS.
    120_000 + SHRINK_BUDGET_MS,
  );
});
