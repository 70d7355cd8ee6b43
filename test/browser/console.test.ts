// The operator console (examples/console) in a real browser (issue 14): Debian's chromium driven by
// playwright-core, against a spawned API (NODE_ENV=development, for the demo-user sign-in) and worker
// on this file's database, and the console served by Vite's dev server on a free port.
// Screenshots of each page go to test-artifacts/ (git-ignored).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AtlasProcess, freePort, spawnAtlas } from '../support/processes.js';
import { waitFor } from '../support/wait.js';
import { createWorld, type World } from '../support/world.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let world: World;
let api: AtlasProcess;
let worker: AtlasProcess;
let vite: ViteDevServer;
let browser: BrowserContext;
let profile: string;
let appUrl: string;

beforeAll(async () => {
  world = await createWorld();
  const port = await freePort();
  appUrl = `http://127.0.0.1:${port}`;
  // The API allows the console's origin (PUBLIC_APP_URL) by CORS and builds run links on it.
  api = await spawnAtlas('api', world.config, { PUBLIC_APP_URL: appUrl, NODE_ENV: 'development' });
  worker = await spawnAtlas('worker', world.config, { PUBLIC_APP_URL: appUrl, SIM_LATENCY_MS: '1000' });
  vite = await createServer({
    root: path.join(ROOT, 'examples/console'),
    configFile: path.join(ROOT, 'examples/console/vite.config.ts'),
    logLevel: 'warn',
    server: { host: '127.0.0.1', port, strictPort: true },
    define: { 'import.meta.env.VITE_API_URL': JSON.stringify(`${api.url}/graphql`) },
  });
  await vite.listen();
  mkdirSync(ARTIFACTS, { recursive: true });
  profile = mkdtempSync(path.join(tmpdir(), 'atlas-console-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await vite?.close();
  await worker?.stop();
  await api?.stop();
  await world?.close();
});

const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

/** A page signed in through the development demo-user picker (which also proves CORS from the browser). */
async function signedIn(email: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(appUrl);
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await shot(page, 'sign-in');
  await page.getByRole('button', { name: `Sign in as ${email}` }).click();
  await page.getByRole('heading', { name: 'Tenants' }).waitFor();
  return page;
}

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
