// The console's schedules page (examples/console/src/pages/SchedulesPage.tsx) in a real browser:
// list, enable/disable, create, the API's validation errors, delete with a confirm step, a firing's
// last outcome arriving without reload, and the read-only view of roles that may not manage schedules.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleRig, startConsole } from '../support/console.js';
import { CreateSchedule, UpdateSchedule } from '../support/documents.js';
import { waitFor } from '../support/wait.js';

let rig: ConsoleRig;

beforeAll(async () => {
  // A per-second schedule must be allowed (the world and the spawned API and worker).
  rig = await startConsole({ config: { SCHEDULE_MIN_INTERVAL_S: 1 } });
}, 120_000);

afterAll(async () => {
  await rig?.close();
});

const alpine = () => rig.world.ids.tenant('Alpine');
const nightly = () => rig.world.ids.schedule('Alpine');
const dbSchedule = (id: string) => rig.world.services.prisma.schedule.findUniqueOrThrow({ where: { id } });

async function schedulesPage(email: string, tenant = 'Alpine'): Promise<Page> {
  const page = await rig.signedIn(email);
  await page.goto(`${rig.appUrl}/tenants/${rig.world.ids.tenant(tenant)}/schedules`);
  await page.getByRole('heading', { name: `Schedules · ${tenant}` }).waitFor();
  return page;
}

const row = (page: Page, id: string) =>
  page.getByRole('table', { name: 'Schedules' }).locator(`tr[data-schedule-id="${id}"]`);
const cell = (page: Page, id: string, testId: string) => row(page, id).getByTestId(testId);
const textIs = (page: Page, id: string, testId: string, text: string) => async () =>
  (await cell(page, id, testId).textContent()) === text;

// Browser steps under a loaded CI machine take seconds each: a minute per test bounds them.
describe('console: schedules page', { timeout: 60_000 }, () => {
  it("as owner: Alpine's nightly group sync is listed disabled; Enable shows a next run, Disable clears it", async () => {
    const page = await schedulesPage('owner@contoso.test');
    const id = nightly();
    await row(page, id).waitFor();
    expect(await row(page, id).getByRole('cell').first().textContent()).toBe('Group sync');
    expect(await cell(page, id, 'schedule-state').textContent()).toBe('Disabled');
    expect(await cell(page, id, 'schedule-next-run').textContent()).toBe('—');
    expect(await cell(page, id, 'schedule-last-outcome').textContent()).toBe('Never fired');
    expect(await row(page, id).textContent()).toContain('Tenant default');
    expect(await page.getByRole('link', { name: 'Back to Alpine' }).getAttribute('href')).toBe(`/tenants/${alpine()}`);

    await row(page, id).getByRole('button', { name: 'Enable' }).click();
    await waitFor(textIs(page, id, 'schedule-state', 'Enabled'), { what: 'the row to show Enabled' });
    // Shown relative and local ("in 5 hours · …"); the <time> element carries the exact instant.
    const nextRun = cell(page, id, 'schedule-next-run');
    const next = new Date((await nextRun.locator('time').getAttribute('datetime'))!);
    expect([next.getUTCHours(), next.getUTCMinutes(), next.getTime() > Date.now()]).toEqual([2, 0, true]);
    expect(await nextRun.textContent()).toMatch(/^\D.* · /);
    expect((await dbSchedule(id)).enabled).toBe(true);

    await row(page, id).getByRole('button', { name: 'Disable' }).click();
    await waitFor(textIs(page, id, 'schedule-state', 'Disabled'), { what: 'the row to show Disabled' });
    expect(await cell(page, id, 'schedule-next-run').textContent()).toBe('—');
    expect((await dbSchedule(id)).enabled).toBe(false);
    await page.close();
  });

  it('as owner: a per-second verification is created, its last outcome arrives without reload, and the confirm step deletes it', async () => {
    const page = await schedulesPage('owner@contoso.test');
    const form = page.getByRole('form', { name: 'New schedule' });
    await form.getByRole('combobox', { name: 'Operation' }).selectOption({ label: 'Tenant verification' });
    await form.getByRole('textbox', { name: 'Cron' }).fill('* * * * * *');
    expect(await form.getByRole('textbox', { name: 'Time zone' }).inputValue()).toBe('UTC');
    expect(await form.getByRole('combobox', { name: 'Connection' }).inputValue()).toBe('');
    await form.getByRole('button', { name: 'Create schedule' }).click();

    const created = await waitFor(
      () =>
        rig.world.services.prisma.schedule.findFirst({
          where: { tenantId: alpine(), cron: '* * * * * *', deletedAt: null },
        }),
      { what: 'the created schedule row in the database' },
    );
    expect(created).toMatchObject({ type: 'TENANT_VERIFICATION', timezone: 'UTC', providerConnectionId: null });
    const id = created.id;
    await row(page, id).waitFor();
    expect(await row(page, id).getByRole('cell').first().textContent()).toBe('Tenant verification');
    expect(await cell(page, id, 'schedule-state').textContent()).toBe('Enabled');
    expect(await row(page, id).textContent()).toContain('Tenant default');

    // The worker fires it; the page learns of it from the run events and its next-run timer.
    const runLink = cell(page, id, 'schedule-last-outcome').getByRole('link');
    await waitFor(async () => (await runLink.count()) > 0, { timeoutMs: 20_000, what: 'the last outcome' });
    // The firing's answer in words; the badge's data-status keeps the API's value.
    const outcome = cell(page, id, 'schedule-last-outcome').getByTestId('schedule-outcome-status');
    expect(await outcome.getAttribute('data-status')).toMatch(/^(QUEUED|ALREADY_RUNNING)$/);
    expect(await outcome.textContent()).toMatch(/^(Queued|Already running)$/);
    expect(await cell(page, id, 'schedule-last-outcome').textContent()).toMatch(
      /^(Queued|Already running)Tenant verification (queued|already running)/,
    );
    const runId = (await runLink.getAttribute('href'))!.split('/').pop()!;
    const run = await rig.world.services.prisma.operationRun.findUniqueOrThrow({ where: { id: runId } });
    expect(run).toMatchObject({ scheduleId: id, initiatorId: null, type: 'TENANT_VERIFICATION' });
    expect(Number(await cell(page, id, 'schedule-firings').textContent())).toBeGreaterThan(0);
    await rig.shot(page, 'schedules');

    // Delete asks first; Cancel keeps it.
    await row(page, id).getByRole('button', { name: 'Delete' }).click();
    await row(page, id).getByRole('button', { name: 'Cancel' }).click();
    await row(page, id).getByRole('button', { name: 'Delete' }).click();
    expect((await dbSchedule(id)).deletedAt).toBeNull();
    await row(page, id).getByRole('button', { name: 'Confirm delete' }).click();
    await waitFor(async () => (await row(page, id).count()) === 0, { what: 'the deleted row to disappear' });
    expect((await dbSchedule(id)).deletedAt).not.toBeNull();
    await row(page, nightly()).waitFor();
    await page.close();
  }, 60_000);

  it("as owner: the API's validation errors are shown next to the form in its words, and nothing is created", async () => {
    const page = await schedulesPage('owner@contoso.test');
    const form = page.getByRole('form', { name: 'New schedule' });
    const alert = form.getByRole('alert');
    const before = await rig.world.services.prisma.schedule.count();
    const apiError = async (cron: string, timezone: string) => {
      const input = { tenantId: alpine(), type: 'DIRECTORY_GROUPS_SYNC' as const, cron, timezone };
      const error = (await rig.world.gql(CreateSchedule, { input })).errors?.[0];
      expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
      return error!.message;
    };

    await form.getByRole('textbox', { name: 'Cron' }).fill('not a cron');
    await form.getByRole('button', { name: 'Create schedule' }).click();
    await alert.waitFor();
    expect(await alert.textContent()).toBe(await apiError('not a cron', 'UTC'));
    expect(await alert.textContent()).toMatch(/^Invalid cron "not a cron"/);

    await form.getByRole('textbox', { name: 'Cron' }).fill('0 3 * * *');
    await form.getByRole('textbox', { name: 'Time zone' }).fill('Mars/Olympus');
    await form.getByRole('button', { name: 'Create schedule' }).click();
    await waitFor(async () => /Unknown time zone/.test((await alert.textContent()) ?? ''), { what: 'the zone error' });
    expect(await alert.textContent()).toBe(await apiError('0 3 * * *', 'Mars/Olympus'));
    expect(await rig.world.services.prisma.schedule.count()).toBe(before);
    await page.close();
  });

  it('as owner: a schedule paused because its tenant was archived shows the reason; Resume lifts it once the cause is fixed', async () => {
    const input = { tenantId: alpine(), type: 'TENANT_VERIFICATION' as const, cron: '0 4 * * *' };
    const id = (await rig.world.gql(CreateSchedule, { input })).data!.schedule.id;
    const { prisma, schedules } = rig.world.services;
    await prisma.tenant.update({ where: { id: alpine() }, data: { status: 'ARCHIVED' } });
    try {
      expect(await schedules.fire(id, new Date())).toMatchObject({ pausedFor: 'TENANT_ARCHIVED' });
      const page = await schedulesPage('owner@contoso.test');
      await row(page, id).waitFor();
      expect(await cell(page, id, 'schedule-state').textContent()).toMatch(
        /^PausedThe tenant is archived\. Fix the cause, then Resume\.$/,
      );
      expect(await cell(page, id, 'schedule-paused-reason').getAttribute('data-reason-code')).toBe('TENANT_ARCHIVED');
      expect(await cell(page, id, 'schedule-next-run').textContent()).toBe('—');

      await prisma.tenant.update({ where: { id: alpine() }, data: { status: 'ACTIVE' } });
      await row(page, id).getByRole('button', { name: 'Resume' }).click();
      await waitFor(textIs(page, id, 'schedule-state', 'Enabled'), { what: 'the row to show Enabled' });
      expect(await cell(page, id, 'schedule-next-run').textContent()).not.toBe('—');
      expect((await dbSchedule(id)).pausedReasonCode).toBeNull();
      await page.close();
    } finally {
      await prisma.tenant.update({ where: { id: alpine() }, data: { status: 'ACTIVE' } });
    }
  });

  it('a tenant without schedules says so; without a connection it offers no connection check', async () => {
    const page = await schedulesPage('owner@contoso.test', 'Cedar');
    await page.getByText('No schedules yet.').waitFor();
    expect(await page.getByRole('table', { name: 'Schedules' }).count()).toBe(0);
    const options = await page
      .getByRole('form', { name: 'New schedule' })
      .getByRole('combobox', { name: 'Operation' })
      .locator('option')
      .allTextContents();
    expect(options).toEqual(['Group sync', 'Role definitions sync', 'Tenant verification']);
    await page.close();
  });

  it.each([
    ['reader@contoso.test', 'Read-only'],
    ['operator@contoso.test', 'Operator'],
  ])('as %s: the list without the form, the buttons disabled with the explanation', async (email, role) => {
    // What the API answers this role, which the page mirrors.
    const answer = await rig.world.gql(UpdateSchedule, { id: nightly(), input: { enabled: true } }, email);
    expect(answer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const page = await schedulesPage(email);
    const id = nightly();
    await row(page, id).waitFor();
    expect(await page.getByRole('form', { name: 'New schedule' }).count()).toBe(0);
    for (const name of ['Enable', 'Delete']) {
      const button = row(page, id).getByRole('button', { name, exact: true });
      expect(await button.isDisabled()).toBe(true);
      const explanation = page.locator(`#${await button.getAttribute('aria-describedby')}`);
      expect(await explanation.textContent()).toMatch(new RegExp(`owners and managers \\(your role: ${role}\\)`));
    }
    expect((await dbSchedule(id)).enabled).toBe(false);
    await page.close();
  });
});
