// The operator console (examples/console) in a real browser for a browser test file: Debian's
// chromium driven by playwright-core, against a spawned API (NODE_ENV=development, DEV_SIGN_IN=on for the
// demo-user sign-in) and worker on the file's own world, and the console served by Vite's dev server on a
// free port. Screenshots go to test-artifacts/ (git-ignored).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { type AtlasProcess, freePort, spawnAtlas } from './processes.js';
import type { Config } from '../../src/config.js';
import { type WaitOptions, waitFor } from './wait.js';
import { createWorld, type World } from './world.js';
import { recordDir } from './registry.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export type ConsoleRig = {
  world: World;
  /** The current API process (replaced by startApi). */
  readonly api: AtlasProcess;
  /** Stops the API (SIGTERM): the console loses its WebSocket. */
  stopApi(): Promise<void>;
  /** Starts a new API on the same port: the console reconnects to it. */
  startApi(): Promise<void>;
  worker: AtlasProcess;
  appUrl: string;
  browser: BrowserContext;
  /** A new page signed in through the development demo-user picker (which also proves CORS). */
  signedIn(email: string): Promise<Page>;
  /** A full-page screenshot as test-artifacts/<name>.png. */
  shot(page: Page, name: string): Promise<unknown>;
  close(): Promise<void>;
};

export type ConsoleOptions = {
  /** The worker's SIM_LATENCY_MS (default 1000: runs stay active long enough to be seen). */
  simLatencyMs?: number;
  /** Settings for the world and both spawned processes, e.g. a lower SCHEDULE_MIN_INTERVAL_S. */
  config?: Partial<Config>;
};

export async function startConsole(options: ConsoleOptions = {}): Promise<ConsoleRig> {
  const world = await createWorld(options.config);
  const settings = Object.fromEntries(Object.entries(options.config ?? {}).map(([key, value]) => [key, String(value)]));
  const port = await freePort();
  const appUrl = `http://127.0.0.1:${port}`;
  // The API allows the console's origin (PUBLIC_APP_URL) by CORS and builds run links on it.
  // The demo-user sign-in is opt-in (DEV_SIGN_IN=on, refused with a real JWT_SECRET or off loopback).
  // Trusted documents only (TRUSTED_DOCUMENTS_ONLY=on): every browser test proves the console sends
  // nothing but the persisted documents codegen built it with.
  const apiEnv = {
    ...settings,
    PUBLIC_APP_URL: appUrl,
    NODE_ENV: 'development',
    DEV_SIGN_IN: 'on',
    TRUSTED_DOCUMENTS_ONLY: 'on',
    TRUSTED_DOCUMENTS_FILE: path.join(ROOT, 'examples/console/src/gql/persisted-documents.json'),
  };
  let api = await spawnAtlas('api', world.config, apiEnv);
  const worker = await spawnAtlas('worker', world.config, {
    ...settings,
    PUBLIC_APP_URL: appUrl,
    SIM_LATENCY_MS: String(options.simLatencyMs ?? 1000),
  });
  const vite: ViteDevServer = await createServer({
    root: path.join(ROOT, 'examples/console'),
    configFile: path.join(ROOT, 'examples/console/vite.config.ts'),
    logLevel: 'warn',
    server: { host: '127.0.0.1', port, strictPort: true },
    define: { 'import.meta.env.VITE_API_URL': JSON.stringify(`${api.url}/graphql`) },
  });
  await vite.listen();
  mkdirSync(ARTIFACTS, { recursive: true });
  const profile = mkdtempSync(path.join(tmpdir(), 'atlas-console-chromium-'));
  recordDir(profile);
  const browser = await chromium.launchPersistentContext(profile, {
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
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  let signInShot: Promise<unknown> | undefined;
  return {
    world,
    get api() {
      return api;
    },
    async stopApi() {
      await api.stop();
    },
    async startApi() {
      api = await spawnAtlas('api', world.config, { ...apiEnv, PORT: String(api.port) });
    },
    worker,
    appUrl,
    browser,
    shot,
    async signedIn(email) {
      const page = await browser.newPage();
      await page.goto(appUrl);
      await page.evaluate(() => localStorage.clear());
      await page.reload();
      await page.getByRole('heading', { name: 'Sign in to atlas-gate' }).waitFor();
      if (!signInShot) signInShot = shot(page, 'sign-in');
      await signInShot;
      await page.getByRole('button', { name: `Sign in as ${email}` }).click();
      await page.getByRole('heading', { name: 'Tenants' }).waitFor();
      return page;
    },
    async close() {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
      await vite.close();
      await worker.stop();
      await api.stop();
      await world.close();
    },
  };
}

/** Waits until the locator's text is `text` (the page changes it live; no reload). */
export const textBecomes = (locator: Locator, text: string, options: WaitOptions = {}) =>
  waitFor(async () => (await locator.textContent()) === text, { what: `"${text}"`, ...options });
