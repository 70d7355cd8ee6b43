// The route table (src/operations/routes.ts) and the console's pages stay in sync: every link the API
// hands out (each reason code's next steps, a run's link) opens a console page that renders its own
// content, and every route is opened at least once. Also who sees a run's Cancel button.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulationSettings } from '../../src/providers/simulated.js';
import { REASON_CODES, type ReasonScope, translateReason } from '../../src/operations/reasons.js';
import { matchRoute, ROUTES, type RouteName, routePath, runUrl } from '../../src/operations/routes.js';
import { type ConsoleRig, startConsole, textBecomes } from '../support/console.js';
import { OperationRunById, StartOperation } from '../support/documents.js';
import type { OperationType } from '../generated/graphql.js';
import { waitFor } from '../support/wait.js';

let rig: ConsoleRig;

beforeAll(async () => {
  rig = await startConsole({ simLatencyMs: 200 });
}, 120_000);

afterAll(async () => {
  await rig?.close();
});

const OWNER = 'owner@contoso.test';

/** A run started through the in-process API as the owner; answers its id. */
async function start(type: OperationType, targetId: string): Promise<string> {
  const { data, errors } = await rig.world.gql(StartOperation, { type, targetId });
  expect(errors).toBeUndefined();
  const result = data!.result;
  if (result.__typename !== 'StartAccepted') throw new Error(`${type} not accepted: ${result.__typename}`);
  return result.run.id;
}

/** The run once it has ended: its status and reason (so an unexpected end says why). */
async function ended(id: string) {
  return waitFor(
    async () => {
      const run = await rig.world.services.prisma.operationRun.findUniqueOrThrow({ where: { id } });
      const { status, reasonCode, reasonMessage } = run;
      return status !== 'QUEUED' && status !== 'RUNNING' && { status, reasonCode, reasonMessage };
    },
    { timeoutMs: 30_000, what: `run ${id} ended` },
  );
}

/** The simulated provider's faults for a connection ({}: none). */
const setSimulation = (connectionId: string, simulation: SimulationSettings) =>
  rig.world.services.prisma.providerConnection.update({ where: { id: connectionId }, data: { simulation } });

/** Names of the seeded fixtures a route's parameters point at, for the page's expected heading. */
async function fixtureNames() {
  const { prisma } = rig.world.services;
  const named = (rows: { id: string; name?: string; displayName?: string }[]) =>
    new Map(rows.map((row) => [row.id, row.name ?? row.displayName ?? '']));
  return {
    tenants: named(await prisma.tenant.findMany({ select: { id: true, name: true } })),
    connections: named(await prisma.providerConnection.findMany({ select: { id: true, displayName: true } })),
    restoreRuns: named(await prisma.restoreRun.findMany({ select: { id: true, name: true } })),
  };
}

/**
 * Opens a console path as the page's signed-in user and waits for that route's own content: the
 * heading each page names itself by (a run page: its status). Never "Page not found." nor an alert.
 */
async function openRoute(page: Page, path: string, names: Awaited<ReturnType<typeof fixtureNames>>) {
  const found = matchRoute(new URL(path, rig.appUrl).pathname);
  expect(found, `a route for ${path}`).not.toBeNull();
  const { name, params } = found!;
  const tenant = () => names.tenants.get(params.tenantId) ?? '?';
  const headings: Record<RouteName, () => string | null> = {
    tenants: () => 'Tenants',
    dashboard: () => 'Dashboard',
    operations: () => 'Operations',
    run: () => null,
    failedStep: () => null,
    tenant: () => tenant(),
    tenantRuns: () => `Runs · ${tenant()}`,
    connections: () => `Provider connections · ${tenant()}`,
    newConnection: () => 'Add a provider connection',
    connection: () => names.connections.get(params.connectionId) ?? '?',
    restoreRun: () => names.restoreRuns.get(params.restoreRunId) ?? '?',
    onboarding: () => `Onboarding · ${tenant()}`,
    schedules: () => `Schedules · ${tenant()}`,
    verification: () => `Verification report · ${tenant()}`,
  };
  await page.goto(`${rig.appUrl}${path}`);
  const heading = headings[name]();
  if (heading) {
    await page.getByRole('heading', { level: 1, name: heading, exact: true }).waitFor({ timeout: 15_000 });
  } else if (name === 'run') {
    await page.getByTestId('run-status').waitFor({ timeout: 15_000 });
  } else {
    await page.getByRole('heading', { level: 1, name: /^Failed step · / }).waitFor({ timeout: 15_000 });
  }
  expect(await page.getByText('Page not found.').count(), path).toBe(0);
  expect(await page.getByRole('alert').allTextContents(), path).toEqual([]);
  return name;
}

// Browser steps under a loaded CI machine take seconds each: a few minutes bound the whole tour.
describe('console routes', { timeout: 180_000 }, () => {
  it("every next step of every reason code, and a run's link, open a console page that renders; every route is opened", async () => {
    const { ids } = rig.world;
    const alpine = ids.tenant('Alpine');
    // A real run (its link) and a report for the verification page.
    const verification = await start('TENANT_VERIFICATION', alpine);
    expect(await ended(verification)).toMatchObject({ status: 'SUCCEEDED' });
    // A real bootstrap whose first step failed: its "Open the failed step" names it.
    await setSimulation(ids.connection('Elm', 'Elm Graph'), { authFailure: true });
    const bootstrap = await start('ONBOARDING_BOOTSTRAP', ids.tenant('Elm'));
    expect(await ended(bootstrap)).toMatchObject({ status: 'FAILED', reasonCode: 'BOOTSTRAP_STEP_FAILED' });
    await setSimulation(ids.connection('Elm', 'Elm Graph'), {});

    // Every code's next steps, with every id of its scope, and with only the tenant's (the fallbacks).
    const full: ReasonScope = {
      tenantId: alpine,
      connectionId: ids.connection('Alpine', 'Alpine Graph'),
      restoreRunId: ids.restoreRun('Alpine'),
      runId: bootstrap,
      step: 'Tenant verification',
      actor: 'Olivia Owner',
    };
    const urls = new Set<string>();
    for (const code of REASON_CODES) {
      for (const scope of [full, { tenantId: alpine }]) {
        const steps = translateReason(code, scope).nextSteps;
        for (const step of steps) if (step.url) urls.add(step.url);
      }
    }
    // The API's own answer for the failed bootstrap names the same failed-step page.
    const { data } = await rig.world.gql(OperationRunById, { id: bootstrap });
    const apiSteps = data!.operationRun!.reason!.nextSteps;
    expect(apiSteps.map((step) => step.url)).toContain(routePath('failedStep', { runId: bootstrap }));
    for (const step of apiSteps) if (step.url) urls.add(step.url);
    urls.add(new URL(runUrl(rig.appUrl, verification)).pathname);

    const names = await fixtureNames();
    const page = await rig.signedIn(OWNER);
    const visited = new Set<RouteName>();
    for (const url of urls) visited.add(await openRoute(page, url, names));

    // Routes no next step names, opened explicitly: a new route must be linked or listed here.
    const explicit = [
      routePath('tenants', {}),
      routePath('dashboard', {}),
      routePath('operations', {}),
      routePath('onboarding', { tenantId: alpine }),
      routePath('schedules', { tenantId: alpine }),
    ];
    for (const url of explicit) visited.add(await openRoute(page, url, names));
    expect([...visited].sort()).toEqual(Object.keys(ROUTES).sort());

    // The pages show what they are for: the failed step with its reason, the report's checks,
    // the tenant's runs with the buttons to start again, and a run without steps says so.
    await openRoute(page, routePath('failedStep', { runId: bootstrap }), names);
    const failed = page.getByRole('region', { name: 'Failed step' });
    await failed.getByRole('heading', { name: 'Step 1 of 3: Tenant verification' }).waitFor();
    expect(await failed.getByTestId('step-status').textContent()).toBe('Failed');
    expect(await failed.getByTestId('step-reason').textContent()).toMatch(/rejected the connection's credentials/);
    await rig.shot(page, 'failed-step');
    await failed.getByRole('link', { name: "Open the step's run" }).click();
    await page.getByRole('link', { name: 'Onboarding bootstrap' }).waitFor();
    expect(await page.getByTestId('run-status').textContent()).toBe('Failed');

    await openRoute(page, routePath('failedStep', { runId: verification }), names);
    expect(await page.getByTestId('no-failed-step').textContent()).toMatch(/has no steps/);

    await openRoute(page, routePath('verification', { tenantId: alpine }), names);
    const checks = page.getByRole('table', { name: 'Verification checks' });
    await checks.waitFor();
    const results = await checks.getByTestId('check-result').allTextContents();
    expect(results.length).toBeGreaterThan(0);
    expect(new Set(results)).toEqual(new Set(['Passed']));
    await rig.shot(page, 'verification-report');
    await openRoute(page, routePath('verification', { tenantId: ids.tenant('Cedar') }), names);
    expect(await page.getByTestId('verification-summary').textContent()).toMatch(/^Not verified yet/);

    const cancelled = translateReason('CANCELLED_BY_USER', { tenantId: alpine }).nextSteps[0].url!;
    await openRoute(page, cancelled, names);
    const runs = page.getByRole('table', { name: 'Runs of the tenant' });
    await runs
      .locator(`tr[data-run-id="${verification}"]`)
      .getByRole('link', { name: 'Tenant verification' })
      .waitFor();
    await waitFor(() => page.getByRole('button', { name: 'Group sync', exact: true }).isEnabled(), {
      timeoutMs: 15_000,
      what: 'Group sync startable from the tenant runs page',
    });
    await page.getByRole('button', { name: 'Connection check', exact: true }).waitFor();
    await rig.shot(page, 'tenant-runs');
    // Started again from here, the new run appears in the list without a reload.
    await page.getByRole('button', { name: 'Group sync', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Group sync queued' }).waitFor();
    await runs.getByRole('link', { name: 'Group sync' }).first().waitFor({ timeout: 15_000 });
    await page.close();
  });

  it('an active run: the reader and an operator who did not start it see a note instead of Cancel; the owner cancels it', async () => {
    const { ids } = rig.world;
    const connection = ids.connection('Alpine', 'Alpine Graph');
    // The group sync of the first test has ended once the scope is free; this one stays running.
    await waitFor(
      async () =>
        (await rig.world.services.prisma.operationRun.count({ where: { status: { in: ['QUEUED', 'RUNNING'] } } })) ===
        0,
      { timeoutMs: 30_000, what: 'no active run' },
    );
    await setSimulation(connection, { latencyMs: 60_000 });
    const runId = await start('DIRECTORY_GROUPS_SYNC', ids.tenant('Alpine'));
    const path = routePath('run', { runId });
    const note = 'Your role does not allow you to cancel this run.';
    try {
      for (const email of ['reader@contoso.test', 'operator@contoso.test']) {
        const page = await rig.signedIn(email);
        await page.goto(`${rig.appUrl}${path}`);
        await page.getByText(note).waitFor({ timeout: 15_000 });
        expect(await page.getByTestId('run-status').textContent()).toMatch(/^(Queued|Running)$/);
        expect(await page.getByRole('button', { name: 'Cancel run' }).count()).toBe(0);
        if (email.startsWith('reader')) await rig.shot(page, 'run-no-cancel');
        await page.close();
      }
      const page = await rig.signedIn(OWNER);
      await page.goto(`${rig.appUrl}${path}`);
      const cancel = page.getByRole('button', { name: 'Cancel run' });
      await cancel.waitFor({ timeout: 15_000 });
      expect(await page.getByText(note).count()).toBe(0);
      await cancel.click();
      // A modal asks first; "Keep it" changes nothing.
      await page.getByRole('dialog').getByRole('button', { name: 'Keep it' }).click();
      await page.getByRole('dialog').waitFor({ state: 'detached' });
      expect(await page.getByTestId('run-status').textContent()).toMatch(/^(Queued|Running)$/);
      await cancel.click();
      await page.getByRole('dialog').getByRole('button', { name: 'Yes, cancel the run' }).click();
      await textBecomes(page.getByTestId('run-status'), 'Cancelled', { timeoutMs: 20_000 });
      expect(await page.getByRole('button', { name: 'Cancel run' }).count()).toBe(0);
      expect(await page.getByText(note).count()).toBe(0);
      await page.close();
    } finally {
      await setSimulation(connection, {});
    }
  });
});
