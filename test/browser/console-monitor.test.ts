// The console's notification bell and operations monitor in a real browser: a notification arriving
// live and marked read, the monitor's filters and paging, and catching up after the API restarts.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleRig, startConsole } from '../support/console.js';
import { StartDirectorySync } from '../support/documents.js';
import { waitFor } from '../support/wait.js';

let rig: ConsoleRig;

beforeAll(async () => {
  rig = await startConsole();
}, 120_000);

afterAll(async () => {
  await rig?.close();
});

const OWNER = 'owner@contoso.test';
const BELL = /^Notifications \(\d+ unread\)$/;

/** The unread count in the bell's name, once its notifications have loaded. */
async function unreadCount(page: Page): Promise<number> {
  const name = await page.getByRole('button', { name: BELL }).textContent({ timeout: 15_000 });
  return Number(name?.match(/\((\d+) unread\)/)?.[1]);
}

const waitUnread = (page: Page, count: number, timeoutMs = 15_000) =>
  waitFor(async () => (await unreadCount(page)) === count, { timeoutMs, what: `${count} unread notifications` });

/** A group sync started through the in-process services (not the console), answering its run id. */
async function groupSync(tenant: string, as = OWNER): Promise<{ id: string; typename: string }> {
  const { data, errors } = await rig.world.gql(StartDirectorySync, { tenantId: rig.world.ids.tenant(tenant) }, as);
  expect(errors).toBeUndefined();
  const result = data!.result;
  const run = 'run' in result ? result.run : result.blockingRun;
  return { id: run.id, typename: result.__typename };
}

const dbRun = (id: string) => rig.world.services.prisma.operationRun.findUniqueOrThrow({ where: { id } });
const rows = (page: Page) => page.locator('tbody tr[data-run-id]');
const row = (page: Page, id: string) => page.locator(`tr[data-run-id="${id}"]`);
const cells = (page: Page, testId: string) => rows(page).getByTestId(testId).allTextContents();

async function openMonitor(page: Page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Operations' }).click();
  await page.getByRole('heading', { name: 'Operations' }).waitFor();
}

// Browser steps under a loaded CI machine take seconds each: a minute per test bounds them.
describe('notification bell and operations monitor', { timeout: 60_000 }, () => {
  it('as owner: a group sync started on Alpine notifies live in the bell; Mark read lowers the count, also after a reload', async () => {
    const page = await rig.signedIn(OWNER);
    const before = await unreadCount(page);
    await page.getByRole('button', { name: BELL }).click();
    const list = page.getByRole('region', { name: 'Notifications list' });
    if (before === 0) await list.getByText('No notifications.').waitFor();

    await page.getByRole('link', { name: 'Alpine' }).click();
    await page.getByRole('heading', { name: 'Alpine' }).waitFor();
    const start = page.getByRole('button', { name: 'Group sync', exact: true });
    await waitFor(() => start.isEnabled(), { timeoutMs: 15_000, what: 'Group sync enabled' });
    await start.click();
    const toast = page.getByRole('status').filter({ hasText: 'Group sync queued' });
    const runLink = await toast.getByRole('link', { name: 'Open run' }).getAttribute('href');

    // No reload: the notification (sent when the run ends) arrives through myNotifications.
    await waitUnread(page, before + 1, 30_000);
    const item = list.getByRole('listitem').filter({ hasText: 'Group sync on Alpine succeeded' });
    await item.waitFor();
    expect(await item.getByRole('link', { name: 'Open run' }).getAttribute('href')).toBe(runLink);
    expect(await item.textContent()).toContain('Group sync on Alpine succeeded.');
    expect(await item.locator('time').getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    await rig.shot(page, 'notifications');

    await item.getByRole('button', { name: 'Mark read' }).click();
    await waitUnread(page, before);
    expect(await item.getByRole('button', { name: 'Mark read' }).count()).toBe(0);

    await page.reload();
    await waitUnread(page, before);
    await page.getByRole('button', { name: BELL }).click();
    await item.waitFor();
    expect(await item.getByRole('button', { name: 'Mark read' }).count()).toBe(0);
    expect(await item.textContent()).toContain('(read)');
    await page.close();
  });

  it('the monitor filters by tenant, status, type and initiator (live rows too) and pages with Load more', async () => {
    // Blocked starts are recorded as BLOCKED runs at once: 21 on Birch (disabled connection), one on
    // Cedar (no connection) by the manager; with the first test's Alpine run, 23 runs.
    const birch: string[] = [];
    for (let i = 0; i < 21; i++) birch.push((await groupSync('Birch')).id);
    const cedar = await groupSync('Cedar', 'manager@contoso.test');
    expect(cedar.typename).toBe('StartBlocked');

    const page = await rig.signedIn(OWNER);
    await openMonitor(page);
    await waitFor(async () => (await rows(page).count()) === 20, { what: 'the first page of 20 runs' });
    const loadMore = page.getByRole('button', { name: 'Load more' });
    await loadMore.click();
    await waitFor(async () => (await rows(page).count()) === 23, { what: 'all 23 runs after Load more' });
    expect(await loadMore.count()).toBe(0);
    expect(await row(page, cedar.id).count()).toBe(1);

    const filters = page.getByRole('form', { name: 'Run filters' });
    await filters.getByRole('combobox', { name: 'Tenant', exact: true }).selectOption({ label: 'Alpine' });
    await waitFor(async () => (await cells(page, 'run-tenant')).join() === 'Alpine', { what: 'only Alpine' });
    expect(page.url()).toContain(`tenant=${rig.world.ids.tenant('Alpine')}`);
    await filters.getByRole('checkbox', { name: 'Succeeded', exact: true }).check();
    await waitFor(async () => (await cells(page, 'run-status')).join() === 'Succeeded', { what: 'Alpine SUCCEEDED' });
    await rig.shot(page, 'operations-filtered');
    await filters.getByRole('checkbox', { name: 'Succeeded', exact: true }).uncheck();
    await filters.getByRole('checkbox', { name: 'Running', exact: true }).check();
    await page.getByText('No runs match these filters.').waitFor();

    // BLOCKED on every tenant: 22 runs, so a second page again.
    await filters.getByRole('combobox', { name: 'Tenant', exact: true }).selectOption({ label: 'All tenants' });
    await filters.getByRole('checkbox', { name: 'Running', exact: true }).uncheck();
    await filters.getByRole('checkbox', { name: 'Blocked', exact: true }).check();
    await waitFor(async () => (await rows(page).count()) === 20 && (await loadMore.count()) === 1, {
      what: 'a first page of BLOCKED runs',
    });
    expect(new Set(await cells(page, 'run-status'))).toEqual(new Set(['Blocked']));
    await loadMore.click();
    await waitFor(async () => (await rows(page).count()) === 22, { what: '22 BLOCKED runs' });

    // Live: an accepted Alpine sync does not match BLOCKED, the blocked Birch start after it does.
    const accepted = await groupSync('Alpine');
    expect(accepted.typename).toBe('StartAccepted');
    const blocked = await groupSync('Birch');
    await row(page, blocked.id).waitFor({ timeout: 10_000 });
    expect(await rows(page).first().getAttribute('data-run-id')).toBe(blocked.id);
    await waitFor(async () => (await dbRun(accepted.id)).status === 'SUCCEEDED', {
      timeoutMs: 30_000,
      what: 'the Alpine sync SUCCEEDED',
    });
    expect(await row(page, accepted.id).count()).toBe(0);

    // Only runs I started: Cedar's only run is the manager's.
    await filters.getByRole('combobox', { name: 'Tenant', exact: true }).selectOption({ label: 'Cedar' });
    await row(page, cedar.id).waitFor();
    await filters.getByRole('checkbox', { name: 'Only runs I started' }).check();
    await page.getByText('No runs match these filters.').waitFor();
    await filters.getByRole('checkbox', { name: 'Only runs I started' }).uncheck();
    await row(page, cedar.id).waitFor();
    await filters.getByRole('combobox', { name: 'Type', exact: true }).selectOption({ label: 'Restore' });
    await page.getByText('No runs match these filters.').waitFor();

    // The filters live in the URL: a reload keeps them.
    await page.reload();
    await page.getByText('No runs match these filters.').waitFor();
    expect(await filters.getByRole('combobox', { name: 'Type', exact: true }).inputValue()).toBe('RESTORE_EXECUTE');
    expect(await filters.getByRole('checkbox', { name: 'Blocked', exact: true }).isChecked()).toBe(true);
    await filters.getByRole('button', { name: 'Clear filters' }).click();
    await waitFor(async () => (await rows(page).count()) === 20, { what: 'unfiltered first page' });
    await page.close();
  });

  it('after the API restarts, the monitor resumes from its newest changeId and the bell catches up: what changed while the WebSocket was lost shows, without a reload or re-reading the list', async () => {
    const page = await rig.signedIn(OWNER);
    const unreadBefore = await unreadCount(page);
    await openMonitor(page);
    await rows(page).first().waitFor();
    await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    // A live update before the loss: the monitor's subscription now holds a changeId to resume from.
    const before = await groupSync('Birch');
    await row(page, before.id).waitFor({ timeout: 15_000 });
    const listReads: string[] = [];
    page.on('request', (request) => {
      if ((request.postData() ?? '').includes('ConsoleOperationRuns')) listReads.push(request.url());
    });

    await rig.stopApi();
    const banner = page.getByRole('alert').filter({ hasText: 'Live updates disconnected; reconnecting…' });
    await banner.waitFor({ timeout: 15_000 });
    await rig.shot(page, 'reconnecting');

    // While the API is down: a sync runs to its end on the worker (and notifies), a start is blocked.
    const ran = await groupSync('Alpine');
    expect(ran.typename).toBe('StartAccepted');
    const blocked = await groupSync('Birch');
    await waitFor(
      async () =>
        (await dbRun(ran.id)).status === 'SUCCEEDED' &&
        (await rig.world.services.prisma.notification.count({ where: { runId: ran.id } })) === 1,
      { timeoutMs: 30_000, what: 'the sync SUCCEEDED and notified while the API was down' },
    );
    expect(await row(page, ran.id).count()).toBe(0);

    await rig.startApi();
    await banner.waitFor({ state: 'detached', timeout: 30_000 });
    const status = row(page, ran.id).getByTestId('run-status');
    await status.waitFor({ timeout: 15_000 });
    await waitFor(async () => (await status.textContent()) === 'Succeeded', { what: 'the missed run SUCCEEDED' });
    await row(page, blocked.id).waitFor();
    await waitUnread(page, unreadBefore + 1);
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    // Resumed, not re-read: the missed changes came as the subscription's replay (after: its changeId).
    expect(listReads).toEqual([]);
    await page.close();
  });
});
