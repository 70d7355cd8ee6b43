// The operator console (examples/console) in a real browser (issue 14): sign-in, tenant start
// buttons from live previews, start toasts, the monitor, run links and cancel (test/support/console.ts).
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prisma } from '../../src/generated/prisma/client.js';
import { type ConsoleRig, startConsole, textBecomes } from '../support/console.js';
import { waitFor } from '../support/wait.js';

let rig: ConsoleRig;
let appUrl: string;
let browser: ConsoleRig['browser'];

beforeAll(async () => {
  // Slow enough that a second click, a cancel and the bootstrap's steps all land while runs are active.
  rig = await startConsole({ simLatencyMs: 3000 });
  ({ appUrl, browser } = rig);
}, 120_000);

afterAll(async () => {
  await rig?.close();
});

const shot = (page: Page, name: string) => rig.shot(page, name);
const signedIn = (email: string) => rig.signedIn(email);

// Browser steps under a loaded CI machine take seconds each: a minute per test bounds them.
describe('operator console', { timeout: 60_000 }, () => {
  let runId: string;

  it('as owner: a group sync on Alpine is queued (again: already running), the monitor shows it RUNNING then SUCCEEDED, the bell its notification, all without reload', async () => {
    const page = await signedIn('owner@contoso.test');
    // The monitor is open before the start: the new run and its transitions can only arrive live.
    const monitor = await browser.newPage();
    await monitor.goto(`${appUrl}/operations`);
    await monitor.getByRole('heading', { name: 'Operations' }).waitFor();

    await page.getByRole('link', { name: 'Alpine' }).click();
    await page.getByRole('heading', { name: 'Alpine' }).waitFor();
    const start = page.getByRole('button', { name: 'Group sync', exact: true });
    await waitFor(() => start.isEnabled(), { timeoutMs: 15_000 });
    await shot(page, 'tenant');
    await start.click();
    const toast = page.getByRole('status').filter({ hasText: 'Group sync queued' });
    await toast.waitFor();
    const href = await toast.getByRole('link', { name: 'Open run' }).getAttribute('href');
    runId = href!.split('/').pop()!;
    expect(href).toBe(`/operations/runs/${runId}`);
    // Clicked again while it runs: the same start answers "already running" with the same run link.
    await start.click();
    const again = page.getByRole('status').filter({ hasText: 'Group sync already running' });
    await again.waitFor();
    expect(await again.getByRole('link', { name: 'Open run' }).getAttribute('href')).toBe(href);
    expect(await rig.world.services.prisma.operationRun.count({ where: { type: 'DIRECTORY_GROUPS_SYNC' } })).toBe(1);

    // The monitor shows the run RUNNING, then SUCCEEDED (each provider call takes 3 s here).
    const status = monitor.locator(`tr[data-run-id="${runId}"] [data-testid="run-status"]`);
    await textBecomes(status, 'Running', { timeoutMs: 15_000 });
    await textBecomes(status, 'Succeeded', { timeoutMs: 30_000 });
    await shot(monitor, 'operations');
    await monitor.close();

    // The initiator's notification arrives in the bell of the page that started it, without a reload.
    await page.getByRole('button', { name: 'Notifications (1 unread)' }).click();
    const notification = page.getByRole('region', { name: 'Notifications list' }).getByRole('listitem');
    await notification.filter({ hasText: 'Group sync on Alpine succeeded' }).waitFor();
    expect(await notification.getByRole('link', { name: 'Open run' }).getAttribute('href')).toBe(href);
    await page.close();
  });

  it("Birch's group sync button is disabled with the reason, and enabled live once its connection is enabled on the connection's page", async () => {
    const page = await signedIn('owner@contoso.test');
    await page.getByRole('link', { name: 'Birch' }).click();
    await page.getByRole('heading', { name: 'Birch' }).waitFor();
    const start = page.getByRole('button', { name: 'Group sync', exact: true });
    await start.waitFor();
    expect(await start.isDisabled()).toBe(true);
    const description = await start.getAttribute('aria-describedby');
    const reason = page.locator(`#${description}`);
    expect(await reason.textContent()).toMatch(/the provider connection is disabled/i);
    await shot(page, 'tenant-blocked');

    // A second tab follows the reason's next step to the connection's page and enables it there.
    const other = await browser.newPage();
    await other.goto(page.url());
    await other.locator(`#${description}`).getByRole('link', { name: 'Enable the connection' }).click();
    await other.getByRole('heading', { name: 'Birch Graph (primary)' }).waitFor();
    expect(await other.getByTestId('connection-enabled').textContent()).toBe('Disabled');
    await other.getByRole('button', { name: 'Enable connection' }).click();
    await textBecomes(other.getByTestId('connection-enabled'), 'Enabled');
    await shot(other, 'connection');

    // The first tab was never reloaded: startPreviewsChanged enabled its button.
    await waitFor(() => start.isEnabled(), { timeoutMs: 10_000, what: 'Group sync enabled live' });

    // The connection check starts through the same presenter; the default moves to the secondary.
    await other.getByRole('button', { name: 'Connection check', exact: true }).click();
    await other.getByRole('status').filter({ hasText: 'Connection check queued' }).waitFor();
    await other.getByRole('link', { name: 'All connections of Birch' }).click();
    await other.getByRole('heading', { name: 'Provider connections · Birch' }).waitFor();
    const primary = other.getByRole('region', { name: 'Birch Graph (primary)' });
    const secondary = other.getByRole('region', { name: 'Birch Graph (secondary)' });
    expect(await primary.getByTestId('connection-default').textContent()).toBe('Default connection');
    await secondary.getByRole('button', { name: 'Make default' }).click();
    await waitFor(
      async () => (await secondary.getByTestId('connection-default').textContent()) === 'Default connection',
    );
    expect(await primary.getByTestId('connection-default').textContent()).toBe('Not the default');
    await shot(other, 'connections');
    // The "Add a provider connection" next step leads to a page that says how connections come about.
    await other.getByRole('link', { name: 'Add a provider connection' }).click();
    await other.getByRole('heading', { name: 'Add a provider connection' }).waitFor();
    expect(await other.getByRole('main').textContent()).toMatch(/admin consent/);
    await shot(other, 'connection-new');
    const defaults = await rig.world.services.prisma.providerConnection.findMany({
      where: { tenantId: rig.world.ids.tenant('Birch'), isDefault: true },
      select: { displayName: true },
    });
    expect(defaults).toEqual([{ displayName: 'Birch Graph (secondary)' }]);
    await other.close();
    await page.close();
  });

  it('as reader every start button is disabled; as operator restore and bootstrap are, the syncs are not', async () => {
    const labels = ['Group sync', 'Role definitions sync', 'Tenant verification', 'Onboarding bootstrap'];
    const buttonsOn = async (email: string) => {
      const page = await signedIn(email);
      await page.getByRole('link', { name: 'Alpine' }).click();
      await page.getByRole('heading', { name: 'Alpine' }).waitFor();
      for (const name of labels) await page.getByRole('button', { name, exact: true }).waitFor();
      const enabled = Object.fromEntries(
        await Promise.all(
          labels.map(async (name) => [name, await page.getByRole('button', { name, exact: true }).isEnabled()]),
        ),
      );
      // Rendered from the previews, not a loading state: the reason says who may start it.
      const description = await page
        .getByRole('button', { name: 'Group sync', exact: true })
        .getAttribute('aria-describedby');
      const reason = description ? await page.locator(`#${description}`).textContent() : null;
      await page.close();
      return { ...enabled, reason };
    };
    expect(await buttonsOn('reader@contoso.test')).toEqual({
      'Group sync': false,
      'Role definitions sync': false,
      'Tenant verification': false,
      'Onboarding bootstrap': false,
      reason: expect.stringMatching(/can only be started by/i),
    });
    // The operator's syncs become enabled once the previews say READY (the first test's run has ended).
    const page = await signedIn('operator@contoso.test');
    await page.getByRole('link', { name: 'Alpine' }).click();
    await page.getByRole('heading', { name: 'Alpine' }).waitFor();
    await waitFor(() => page.getByRole('button', { name: 'Group sync', exact: true }).isEnabled(), {
      timeoutMs: 15_000,
    });
    expect(await page.getByRole('button', { name: 'Onboarding bootstrap', exact: true }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Tenant verification', exact: true }).isEnabled()).toBe(true);
    // Restore is for owners and managers too: disabled on the restore run's page, saying so.
    await page.getByRole('link', { name: 'Alpine baseline policies' }).click();
    const restore = page.getByRole('button', { name: 'Restore', exact: true });
    await restore.waitFor();
    expect(await restore.isDisabled()).toBe(true);
    expect(await page.locator(`#${await restore.getAttribute('aria-describedby')}`).textContent()).toMatch(
      /can only be started by owners and managers/i,
    );
    await page.close();
  });

  it('a run link opened directly shows that run', async () => {
    const page = await signedIn('owner@contoso.test');
    await page.goto(`${appUrl}/operations/runs/${runId}`);
    await page.getByRole('heading', { name: 'Group sync' }).waitFor();
    expect(await page.getByTestId('run-status').textContent()).toBe('Succeeded');
    expect(await page.getByRole('link', { name: 'Alpine', exact: true }).count()).toBe(1);
    await shot(page, 'run');
    await page.close();
  });

  it("cancels a running group sync from its run page, reached through the toast's run link", async () => {
    const page = await signedIn('owner@contoso.test');
    await page.getByRole('link', { name: 'Alpine' }).click();
    const start = page.getByRole('button', { name: 'Group sync', exact: true });
    await waitFor(() => start.isEnabled(), { timeoutMs: 15_000 });
    await start.click();
    const toast = page.getByRole('status').filter({ hasText: 'Group sync queued' });
    await toast.getByRole('link', { name: 'Open run' }).click();
    await page.getByRole('heading', { name: 'Group sync' }).waitFor();
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Yes, cancel the run' }).click();
    const status = page.getByTestId('run-status');
    await textBecomes(status, 'Cancelled', { timeoutMs: 20_000 });
    expect(await page.getByRole('button', { name: 'Cancel run' }).count()).toBe(0);
    await shot(page, 'run-cancelled');
    await page.close();
  });

  it('cancels a running restore from its run page: the run ends CANCELLED and the restore run is READY again', async () => {
    // The restore's provider calls are held (10 minutes each) until the cancel: however slow the
    // machine, no item is applied before it, so the restore run goes back to READY (with an item
    // applied it would rightly be PARTIALLY_COMPLETED, as CI once saw under load).
    const { prisma } = rig.world.services;
    const alpine = { tenantId: rig.world.ids.tenant('Alpine') };
    await prisma.providerConnection.updateMany({ where: alpine, data: { simulation: { latencyMs: 600_000 } } });
    try {
      await cancelRestore();
    } finally {
      await prisma.providerConnection.updateMany({ where: alpine, data: { simulation: Prisma.DbNull } });
    }
  });

  async function cancelRestore() {
    const page = await signedIn('owner@contoso.test');
    await page.getByRole('link', { name: 'Alpine' }).click();
    await page.getByRole('link', { name: 'Alpine baseline policies' }).click();
    await page.getByRole('heading', { name: 'Alpine baseline policies' }).waitFor();
    expect(await page.getByTestId('restore-status').textContent()).toBe('Ready');
    const start = page.getByRole('button', { name: 'Restore', exact: true });
    await waitFor(() => start.isEnabled(), { timeoutMs: 15_000, what: 'Restore enabled' });
    await shot(page, 'restore-run');
    await start.click();
    await page
      .getByRole('status')
      .filter({ hasText: 'Restore queued' })
      .getByRole('link', { name: 'Open run' })
      .click();
    await page.getByRole('heading', { name: 'Restore' }).waitFor();
    const status = page.getByTestId('run-status');
    await textBecomes(status, 'Running', { timeoutMs: 15_000 });
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Yes, cancel the run' }).click();
    await textBecomes(status, 'Cancelled', { timeoutMs: 20_000 });
    await page.getByRole('link', { name: 'Alpine baseline policies' }).click();
    await page.getByRole('heading', { name: 'Alpine baseline policies' }).waitFor();
    await textBecomes(page.getByTestId('restore-status'), 'Ready');
    expect(await page.getByRole('list', { name: 'Executions' }).textContent()).toContain('Cancelled');
    await page.close();
  }

  it('bootstraps Elm: its three steps progress live and Elm becomes ACTIVE', async () => {
    const page = await signedIn('owner@contoso.test');
    await page.getByRole('link', { name: 'Elm' }).click();
    await page.getByRole('link', { name: 'Onboarding' }).click();
    await page.getByRole('heading', { name: 'Onboarding · Elm' }).waitFor();
    expect(await page.getByTestId('tenant-status').textContent()).toBe('Onboarding');
    const start = page.getByRole('button', { name: 'Onboarding bootstrap', exact: true });
    await waitFor(() => start.isEnabled(), { timeoutMs: 15_000, what: 'bootstrap enabled' });
    await start.click();
    await page.getByRole('status').filter({ hasText: 'Onboarding bootstrap queued' }).waitFor();
    // Every distinct rendering of the steps, sampled until all three have succeeded.
    const steps = page.getByRole('list', { name: 'Bootstrap steps' }).getByTestId('step-status');
    const seen = new Set<string>();
    await waitFor(
      async () => {
        const now = (await steps.allTextContents()).join(',');
        if (now) seen.add(now);
        return now === 'Succeeded,Succeeded,Succeeded';
      },
      { timeoutMs: 30_000, intervalMs: 50, what: 'three steps SUCCEEDED' },
    );
    await shot(page, 'onboarding');
    // The page showed the steps in progress before they all ended (one step at a time, in order).
    expect([...seen].some((rendering) => rendering.includes('Running'))).toBe(true);
    expect(await page.getByRole('list', { name: 'Bootstrap steps' }).textContent()).toMatch(
      /Tenant verification.*Group sync.*Role definitions sync/,
    );
    await waitFor(async () => (await page.getByTestId('tenant-status').textContent()) === 'Active', {
      what: 'Elm ACTIVE',
    });
    // The tenant is activated just before the bootstrap's own end is recorded: both arrive, in that order.
    await textBecomes(page.getByTestId('bootstrap-status'), 'Succeeded');
    await page.close();
  });

  it('a token the API refuses sends the user back to sign-in with the reason', async () => {
    const page = await browser.newPage();
    await page.goto(appUrl);
    await page.evaluate(() => localStorage.setItem('atlas-gate.token', 'not-a-token'));
    await page.goto(`${appUrl}/tenants/${rig.world.ids.tenant('Alpine')}`);
    await page.getByRole('heading', { name: 'Sign in to atlas-gate' }).waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/session ended/);
    expect(await page.evaluate(() => localStorage.getItem('atlas-gate.token'))).toBeNull();
    await page.close();
  });

  it("the tenants overview: each tenant's buttons from the batched previews, live, and a start from a row", async () => {
    const page = await signedIn('owner@contoso.test');
    const row = (name: string) => page.getByRole('row', { name });
    const button = (tenant: string, name: string) => row(tenant).getByRole('button', { name, exact: true });
    await button('Cedar', 'Group sync').waitFor();
    expect(await button('Cedar', 'Group sync').isDisabled()).toBe(true);
    expect(await row('Cedar').textContent()).toMatch(/the tenant has no provider connection/i);
    expect(await button('Fir', 'Tenant verification').isDisabled()).toBe(true);
    const start = button('Alpine', 'Role definitions sync');
    await waitFor(() => start.isEnabled(), { timeoutMs: 15_000, what: "Alpine's role definitions sync enabled" });
    await start.click();
    await page.getByRole('status').filter({ hasText: 'Role definitions sync queued' }).waitFor();
    // The row follows its own previews: the run it started is linked while it runs.
    await row('Alpine')
      .getByRole('link', { name: /Running run/ })
      .waitFor({ timeout: 10_000 });
    await shot(page, 'tenants');
    await page.close();
  });
});
