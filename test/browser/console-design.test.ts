// The designed console (issue 24): the dashboard's numbers against the database, a bulk start over
// five tenants answering four ways, a start pinned to Birch's secondary connection, the contract's
// words on a blocked control, dark mode, a 390 px phone without horizontal scroll, and axe-core on
// every page. Screenshots (light and dark) go to test-artifacts/ for the README.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prisma } from '../../src/generated/prisma/client.js';
import type { OperationRunStatus, OperationType } from '../../src/generated/prisma/enums.js';
import { routePath } from '../../src/operations/routes.js';
import { type ConsoleRig, startConsole } from '../support/console.js';
import { CancelRun, StartOperation } from '../support/documents.js';
import { connectionIdOf, createTenants } from '../support/tenants.js';
import { waitFor } from '../support/wait.js';

let rig: ConsoleRig;
let bulk: string[];
const OWNER = 'owner@contoso.test';
const HOUR = 3_600_000;

beforeAll(async () => {
  // Provider calls of 4 s: runs stay active long enough to be seen as already running or busy.
  rig = await startConsole({ simLatencyMs: 4_000 });
  const { prisma } = rig.world.services;
  bulk = await createTenants(prisma, rig.world.ids.workspace('Contoso MSP'), 'Bulk', 2);
  // A day of history the dashboard must count exactly: terminal runs only (active ones come from real starts).
  const seeded: [string, OperationType, OperationRunStatus, number, string?][] = [
    ['Alpine', 'DIRECTORY_GROUPS_SYNC', 'SUCCEEDED', 22],
    ['Alpine', 'DIRECTORY_GROUPS_SYNC', 'SUCCEEDED', 21.5],
    ['Alpine', 'TENANT_VERIFICATION', 'FAILED', 9, 'PROVIDER_THROTTLED'],
    ['Elm', 'TENANT_VERIFICATION', 'FAILED', 8, 'PROVIDER_THROTTLED'],
    ['Cedar', 'DIRECTORY_GROUPS_SYNC', 'BLOCKED', 5, 'PROVIDER_CONNECTION_MISSING'],
    ['Fir', 'ROLE_DEFINITIONS_SYNC', 'BLOCKED', 3, 'TENANT_ARCHIVED'],
    ['Alpine', 'ROLE_DEFINITIONS_SYNC', 'PARTIALLY_SUCCEEDED', 2],
    ['Alpine', 'DIRECTORY_GROUPS_SYNC', 'SUCCEEDED', 30], // older than the window
  ];
  await prisma.operationRun.createMany({
    data: seeded.map(([tenant, type, status, hoursAgo, reason]) => ({
      type,
      status,
      tenantId: rig.world.ids.tenant(tenant),
      dedupeKey: `seed:${randomUUID()}`,
      scopeClass: 'SHARED' as const,
      reasonCode: reason ?? null,
      reasonMessage: reason ? reason.toLowerCase().replaceAll('_', ' ') : null,
      createdAt: new Date(Date.now() - hoursAgo * HOUR),
      finishedAt: new Date(Date.now() - hoursAgo * HOUR + 60_000),
    })),
  });
});
afterAll(async () => rig?.close());

/** What the dashboard should show, counted from the database the way a person would. */
async function counted() {
  const { prisma } = rig.world.services;
  const since = new Date(Math.floor(Date.now() / HOUR) * HOUR - 23 * HOUR);
  const where = { parentId: null, createdAt: { gte: since } };
  const byStatus = await prisma.operationRun.groupBy({ by: ['status'], where, _count: true });
  const count = (status: OperationRunStatus) => byStatus.find((s) => s.status === status)?._count ?? 0;
  const inFlight = await prisma.operationRun.groupBy({
    by: ['type'],
    where: { parentId: null, status: { in: ['QUEUED', 'RUNNING'] } },
    _count: true,
  });
  return {
    total: byStatus.reduce((sum, s) => sum + s._count, 0),
    SUCCEEDED: count('SUCCEEDED'),
    FAILED: count('FAILED'),
    BLOCKED: count('BLOCKED'),
    inFlight: Object.fromEntries(inFlight.map((t) => [t.type, t._count])),
  };
}

async function shown(page: Page) {
  const number = async (testId: string) => Number(await page.getByTestId(testId).textContent());
  const inFlight: Record<string, number> = {};
  for (const cell of await page.locator('[data-testid^="in-flight-"]').all())
    inFlight[(await cell.getAttribute('data-testid'))!.replace('in-flight-', '')] = Number(await cell.textContent());
  return {
    total: await number('total-runs'),
    SUCCEEDED: await number('total-SUCCEEDED'),
    FAILED: await number('total-FAILED'),
    BLOCKED: await number('total-BLOCKED'),
    inFlight,
  };
}

/** No page scrolls sideways, and axe-core finds nothing serious or critical. */
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
async function serious(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE });
  const violations = await page.evaluate(async () => {
    const result = await (window as any).axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v: { id: string; impact: string; nodes: { target: string[] }[] }) => ({
      id: v.id,
      impact: v.impact,
      targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
    }));
  });
  return violations
    .filter((v: { impact: string }) => v.impact === 'serious' || v.impact === 'critical')
    .map((v: { id: string; targets: string[] }) => `${v.id}: ${v.targets.join(', ')}`);
}

describe('console design', { timeout: 120_000 }, () => {
  it("the dashboard's numbers are the database's, and follow a new run live", async () => {
    const page = await rig.signedIn(OWNER);
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    await waitFor(async () => JSON.stringify(await shown(page)) === JSON.stringify(await counted()), {
      what: 'the dashboard showing the database counts',
    });
    const before = await shown(page);
    expect(before).toMatchObject({ total: 7, SUCCEEDED: 2, FAILED: 2, BLOCKED: 2 });
    expect(await page.getByTestId('reason-PROVIDER_THROTTLED').textContent()).toBe('2');
    expect(await page.getByTestId('reason-TENANT_ARCHIVED').textContent()).toBe('1');
    // A start elsewhere shows up without a reload: one more run, one more in flight (or already ended).
    const res = await rig.world.gql(StartOperation, {
      type: 'TENANT_VERIFICATION',
      targetId: rig.world.ids.tenant('Alpine'),
    });
    expect(res.data?.result.__typename).toBe('StartAccepted');
    await waitFor(async () => (await shown(page)).total === 8, { what: 'the new run counted live' });
    await waitFor(async () => JSON.stringify(await shown(page)) === JSON.stringify(await counted()), {
      what: 'the dashboard matching the database again',
    });
    await rig.shot(page, 'dashboard');
    await page.close();
  });

  it('a bulk start over five tenants answers in each row: queued, already running, scope busy, blocked', async () => {
    const { gate, prisma } = rig.world.services;
    const owner = {
      userId: rig.world.ids.user(OWNER),
      roles: new Map([[rig.world.ids.workspace('Contoso MSP'), 'OWNER' as const]]),
    };
    // The two runs the bulk meets are held (their provider calls last 10 minutes) until the test cancels
    // them: however slow the page, they are still active when the bulk start reaches them.
    const held = [connectionIdOf('Bulk', 1), rig.world.ids.connection('Elm', 'Elm Graph')];
    await prisma.providerConnection.updateMany({
      where: { id: { in: held } },
      data: { simulation: { latencyMs: 600_000 } },
    });
    const holding = [
      await gate.start(owner, { type: 'DIRECTORY_GROUPS_SYNC', tenantId: bulk[1] }),
      await gate.start(owner, { type: 'ONBOARDING_BOOTSTRAP', tenantId: rig.world.ids.tenant('Elm') }),
    ];
    expect(holding.map((outcome) => outcome.status)).toEqual(['QUEUED', 'QUEUED']);
    const page = await rig.signedIn(OWNER);
    const names = ['Bulk 0000', 'Bulk 0001', 'Elm', 'Cedar', 'Fir'];
    for (const name of names) await page.getByRole('checkbox', { name: `Select ${name}`, exact: true }).check();
    await page.getByRole('combobox', { name: 'Operation' }).click();
    await page.getByRole('option', { name: 'Group sync', exact: true }).click();
    await page.getByRole('button', { name: 'Start on 5 selected' }).click();
    const confirm = page.getByRole('dialog', { name: 'Start Group sync on 5 tenants?' });
    expect((await confirm.getByRole('listitem').allTextContents()).sort()).toEqual([...names].sort());
    await confirm.getByRole('button', { name: 'Start 5' }).click();
    const answer = (name: string) => page.getByRole('group', { name: `Bulk start on ${name}` });
    await answer('Fir').waitFor();
    const texts = await Promise.all(names.map(async (name) => (await answer(name).textContent())?.trim()));
    expect(texts[0]).toMatch(/^Group sync queued/);
    expect(texts[1]).toMatch(/^Group sync already running/);
    expect(texts[2]).toMatch(/^Group sync not started: Onboarding bootstrap is in progress on this tenant/);
    expect(texts[3]).toMatch(/^Group sync blocked: the tenant has no provider connection/);
    expect(texts[4]).toMatch(/^Group sync blocked: the tenant is archived/);
    // The database agrees: exactly one new queued group sync (Bulk 0000's), two blocked.
    const syncs = await rig.world.services.prisma.operationRun.findMany({
      where: { type: 'DIRECTORY_GROUPS_SYNC', parentId: null, createdAt: { gte: new Date(Date.now() - 60_000) } },
      select: { tenantId: true, status: true },
    });
    expect(syncs.filter((r) => r.tenantId === bulk[0])).toHaveLength(1);
    expect(syncs.filter((r) => r.tenantId === bulk[1])).toHaveLength(1);
    expect(
      syncs
        .filter((r) => r.status === 'BLOCKED')
        .map((r) => r.tenantId)
        .sort(),
    ).toEqual([rig.world.ids.tenant('Cedar'), rig.world.ids.tenant('Fir')].sort());
    await rig.shot(page, 'tenants-bulk');
    await page.close();
    // Let the held runs go: cancelled, they end (and free their tenants) for the tests after this one.
    for (const outcome of holding) {
      if (outcome.status !== 'QUEUED') continue;
      const res = await rig.world.gql(CancelRun, { runId: outcome.run.id });
      expect(res.errors).toBeUndefined();
    }
    await waitFor(
      async () =>
        (await prisma.operationRun.count({
          where: { id: { in: holding.flatMap((o) => (o.status === 'QUEUED' ? [o.run.id] : [])) }, finishedAt: null },
        })) === 0,
      { timeoutMs: 30_000, what: 'the held runs ended' },
    );
    await prisma.providerConnection.updateMany({ where: { id: { in: held } }, data: { simulation: Prisma.DbNull } });
  });

  it("Birch: the blocked control reads the contract's words; Choose another connection pins the secondary, and the run shows it", async () => {
    const page = await rig.signedIn(OWNER);
    await page.getByRole('link', { name: 'Birch', exact: true }).click();
    await page.getByRole('heading', { name: 'Birch', level: 1 }).waitFor();
    const start = page.getByRole('button', { name: 'Group sync', exact: true });
    await start.waitFor();
    expect(await start.isDisabled()).toBe(true);
    const why = page.locator(`#${await start.getAttribute('aria-describedby')}`);
    expect(await why.textContent()).toMatch(/^Group sync blocked: the provider connection is disabled/);
    await why.getByRole('link', { name: 'Choose another connection' }).click();
    // The picker opens by itself, the default preselected.
    const picker = page.getByRole('combobox', { name: 'Connection' });
    expect(await picker.inputValue()).toBe('Birch Graph (primary) (default) (disabled)');
    await page.getByRole('option', { name: 'Birch Graph (secondary)', exact: true }).click();
    await waitFor(() => start.isEnabled(), { what: 'Group sync enabled for the secondary connection' });
    await start.click();
    const toast = page.getByRole('status').filter({ hasText: 'Group sync queued' });
    await toast.waitFor();
    await toast.getByRole('link', { name: 'Open run' }).click();
    await page.getByTestId('run-status').waitFor();
    expect(await page.getByRole('link', { name: 'Birch Graph (secondary)' }).count()).toBe(1);
    const run = await rig.world.services.prisma.operationRun.findFirstOrThrow({
      where: { tenantId: rig.world.ids.tenant('Birch'), type: 'DIRECTORY_GROUPS_SYNC', status: { not: 'BLOCKED' } },
      include: { providerConnection: true },
    });
    expect(run.providerConnection?.displayName).toBe('Birch Graph (secondary)');
    await page.close();
  });

  it('live by normalized cache: while runs progress, the monitor and a run page send no query at all', async () => {
    const page = await rig.signedIn(OWNER);
    const sent: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/graphql')
        sent.push(JSON.parse(request.postData() ?? '{}').operationName ?? '?');
    });
    await page.getByRole('link', { name: 'Operations' }).click();
    await page.getByRole('table', { name: 'Operation runs' }).waitFor();
    await page.waitForLoadState('networkidle');
    sent.length = 0;
    // Three runs start elsewhere: each appears at the top and moves through its states in place.
    const started = [];
    for (const [type, tenant] of [
      ['TENANT_VERIFICATION', bulk[0]],
      ['ROLE_DEFINITIONS_SYNC', bulk[1]],
      ['TENANT_VERIFICATION', rig.world.ids.tenant('Alpine')],
    ] as const) {
      const res = await rig.world.gql(StartOperation, { type, targetId: tenant });
      if (res.data?.result.__typename !== 'StartAccepted') throw new Error(JSON.stringify(res));
      started.push(res.data.result.run.id);
    }
    const status = (id: string) => page.locator(`tr[data-run-id="${id}"] [data-testid="run-status"]`);
    for (const id of started)
      await waitFor(async () => (await status(id).count()) === 1 && (await status(id).textContent()) === 'Succeeded', {
        timeoutMs: 60_000,
        what: `run ${id} Succeeded in the monitor`,
      });
    expect(await page.locator('tbody tr').first().getAttribute('data-run-id')).toBe(started[2]);
    expect(sent).toEqual([]);

    // A run page follows its run and its steps from the events alone.
    const res = await rig.world.gql(StartOperation, { type: 'DIRECTORY_GROUPS_SYNC', targetId: bulk[0] });
    if (res.data?.result.__typename !== 'StartAccepted') throw new Error(JSON.stringify(res));
    await page.goto(`${rig.appUrl}${routePath('run', { runId: res.data.result.run.id })}`);
    await page.getByTestId('run-status').waitFor();
    await page.waitForLoadState('networkidle');
    const afterLoad = sent.length;
    await waitFor(async () => (await page.getByTestId('run-status').textContent()) === 'Succeeded', {
      timeoutMs: 60_000,
      what: 'the run page showing Succeeded',
    });
    expect(await page.getByText(/\d+ succeeded, 0 failed, 0 skipped of \d+/).count()).toBe(1);
    expect(sent.slice(afterLoad)).toEqual([]);
    await page.close();
  });

  it('follows the system dark mode (screenshots of the dashboard, the tenant page and the monitor)', async () => {
    const page = await rig.signedIn(OWNER);
    await page.emulateMedia({ colorScheme: 'dark' });
    const scheme = () => page.evaluate(() => document.documentElement.getAttribute('data-mantine-color-scheme'));
    await waitFor(async () => (await scheme()) === 'dark', { what: 'dark colour scheme' });
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const [r, g, b] = background.match(/\d+/g)!.map(Number);
    expect(r + g + b).toBeLessThan(150); // a dark page, not the light one
    await page.goto(`${rig.appUrl}/dashboard`);
    await page.getByTestId('total-runs').waitFor();
    await rig.shot(page, 'dashboard-dark');
    await page.goto(`${rig.appUrl}${routePath('tenant', { tenantId: rig.world.ids.tenant('Alpine') })}`);
    await page.getByRole('heading', { name: 'Alpine', level: 1 }).waitFor();
    await rig.shot(page, 'tenant-dark');
    await page.goto(`${rig.appUrl}/operations`);
    await page.getByRole('table', { name: 'Operation runs' }).waitFor();
    await rig.shot(page, 'monitor-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await waitFor(async () => (await scheme()) === 'light', { what: 'back to light' });
    await rig.shot(page, 'monitor');
    await page.goto(`${rig.appUrl}${routePath('tenant', { tenantId: rig.world.ids.tenant('Alpine') })}`);
    await page.getByRole('heading', { name: 'Alpine', level: 1 }).waitFor();
    await rig.shot(page, 'tenant');
    await page.close();
  });

  it('every page: no horizontal scroll on a 390 px phone, and no serious or critical axe-core violation, light and dark', async () => {
    const page = await rig.signedIn(OWNER);
    const t = (name: string) => rig.world.ids.tenant(name);
    const run = await rig.world.services.prisma.operationRun.findFirstOrThrow({ where: { parentId: null } });
    const pages: [string, string][] = [
      ['/', 'Tenants'],
      ['/dashboard', 'Dashboard'],
      ['/operations', 'Operations'],
      [routePath('run', { runId: run.id }), ''],
      [routePath('tenant', { tenantId: t('Birch') }), 'Birch'],
      [routePath('tenantRuns', { tenantId: t('Alpine') }), 'Runs · Alpine'],
      [routePath('connections', { tenantId: t('Birch') }), 'Provider connections · Birch'],
      [routePath('newConnection', { tenantId: t('Cedar') }), 'Add a provider connection'],
      [
        routePath('connection', {
          tenantId: t('Birch'),
          connectionId: rig.world.ids.connection('Birch', 'Birch Graph (secondary)'),
        }),
        'Birch Graph (secondary)',
      ],
      [routePath('restoreRun', { tenantId: t('Alpine'), restoreRunId: rig.world.ids.restoreRun('Alpine') }), ''],
      [routePath('onboarding', { tenantId: t('Elm') }), 'Onboarding · Elm'],
      [routePath('schedules', { tenantId: t('Alpine') }), 'Schedules · Alpine'],
      [routePath('verification', { tenantId: t('Alpine') }), 'Verification report · Alpine'],
    ];
    const found: Record<string, string[]> = {};
    const passes = [
      [1280, 'light'],
      [390, 'light'],
      [1280, 'dark'],
    ] as const;
    for (const [width, scheme] of passes) {
      await page.setViewportSize({ width, height: 900 });
      await page.emulateMedia({ colorScheme: scheme });
      for (const [path, heading] of pages) {
        await page.goto(`${rig.appUrl}${path}`);
        if (heading) await page.getByRole('heading', { name: heading, level: 1, exact: true }).waitFor();
        else await page.getByRole('heading', { level: 1 }).first().waitFor();
        await page.waitForLoadState('networkidle').catch(() => undefined);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        if (width === 390) expect({ path, overflow }).toEqual({ path, overflow: 0 });
        const violations = await serious(page);
        if (violations.length) found[`${width} ${scheme} ${path}`] = violations;
      }
      if (width === 390) await rig.shot(page, 'phone-verification');
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${rig.appUrl}/`);
    await page.getByRole('heading', { name: 'Tenants', level: 1 }).waitFor();
    await rig.shot(page, 'phone-tenants');
    // The header fits the phone; sign-out and the colour toggle are in the navigation menu.
    for (const button of await page.locator('header button').all())
      if (await button.isVisible())
        expect((await button.boundingBox())!.x + (await button.boundingBox())!.width).toBeLessThanOrEqual(390);
    await page.getByRole('button', { name: 'Toggle navigation' }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Sign out' }).waitFor();
    await rig.shot(page, 'phone-menu');
    expect(found).toEqual({});
    await page.close();
  });
});
