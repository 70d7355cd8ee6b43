// The operator console (examples/console) in a real browser (issue 14): sign-in, tenant start
// buttons from live previews, start toasts, the monitor, run links and cancel (test/support/console.ts).
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleRig, startConsole } from '../support/console.js';
import { waitFor } from '../support/wait.js';

let rig: ConsoleRig;
let appUrl: string;
let browser: ConsoleRig['browser'];

beforeAll(async () => {
  rig = await startConsole();
  ({ appUrl, browser } = rig);
}, 120_000);

afterAll(async () => {
  await rig?.close();
});

const shot = (page: Page, name: string) => rig.shot(page, name);
const signedIn = (email: string) => rig.signedIn(email);

describe('operator console', () => {
  let runId: string;

  it('as owner: a group sync on Alpine is queued, and the monitor shows it reach SUCCEEDED without reload', async () => {
    const page = await signedIn('owner@contoso.test');
    await shot(page, 'tenants');
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

    const status = monitor.locator(`tr[data-run-id="${runId}"] [data-testid="run-status"]`);
    await waitFor(async () => (await status.count()) > 0 && (await status.textContent()) === 'SUCCEEDED', {
      timeoutMs: 30_000,
    });
    await shot(monitor, 'operations');
    await monitor.close();
    await page.close();
  });

  it("Birch's group sync button is disabled with the reason", async () => {
    const page = await signedIn('owner@contoso.test');
    await page.getByRole('link', { name: 'Birch' }).click();
    await page.getByRole('heading', { name: 'Birch' }).waitFor();
    const start = page.getByRole('button', { name: 'Group sync', exact: true });
    await start.waitFor();
    expect(await start.isDisabled()).toBe(true);
    const description = await start.getAttribute('aria-describedby');
    expect(await page.locator(`#${description}`).textContent()).toMatch(/the provider connection is disabled/i);
    await shot(page, 'tenant-blocked');
    await page.close();
  });

  it('as reader every start button is disabled; as operator the bootstrap is, the syncs are not', async () => {
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
    await page.close();
  });

  it('a run link opened directly shows that run', async () => {
    const page = await signedIn('owner@contoso.test');
    await page.goto(`${appUrl}/operations/runs/${runId}`);
    await page.getByRole('heading', { name: 'Group sync' }).waitFor();
    expect(await page.getByTestId('run-status').textContent()).toBe('SUCCEEDED');
    expect(await page.getByRole('link', { name: 'Alpine' }).count()).toBe(1);
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
    const status = page.getByTestId('run-status');
    await waitFor(async () => (await status.textContent()) === 'CANCELLED', { timeoutMs: 20_000, what: 'CANCELLED' });
    expect(await page.getByRole('button', { name: 'Cancel run' }).count()).toBe(0);
    await shot(page, 'run-cancelled');
    await page.close();
  });
});
