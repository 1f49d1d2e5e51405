import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, expect, vi } from 'vitest';
import { type FakeModelServer, startFakeModelServer } from '../fakes/fake-model-server.js';
import { type Harness, startGateway } from '../helpers/gateway-harness.js';
import { type Browser, ensureWebBuilt, launchBrowser, type PageLog, watch } from './browser.js';

const root = new URL('../..', import.meta.url).pathname;

/**
 * Where the browser tests put their screenshots: `$CARAPACE_TEST_OUTPUT/web`, by default
 * `.tmp/test-output/web` in the repository (ignored by git).
 */
export const SHOTS_DIR = join(process.env.CARAPACE_TEST_OUTPUT ?? join(root, '.tmp', 'test-output'), 'web');

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 80);

/** A page with what it did on the network. */
export interface WatchedPage {
  page: Page;
  log: PageLog;
}

/** What a browser test file gets from `useWebFixture()`. */
export interface WebFixture {
  readonly fake: FakeModelServer;
  readonly browser: Browser;
  /** A real gateway in a temp state dir, stopped and removed after the test. */
  gateway(config?: Record<string, unknown>): Promise<Harness>;
  /** A new page, screenshotted into SHOTS_DIR and closed after the test (pass or fail). */
  newPage(viewport?: { width: number; height: number }): Promise<WatchedPage>;
  /** Save a named screenshot of `page` into SHOTS_DIR now (besides the one after the test). */
  shot(page: Page, name: string): Promise<string>;
  /** The config of a gateway whose one model is this test's fake model server (priced 3/15 USD per 1M). */
  modelConfig(extra?: Record<string, unknown>): Record<string, unknown>;
}

/**
 * Hooks for a browser test file: one Chromium for the file, a fresh fake model server and gateways per
 * test, and after every test a screenshot of each page it opened (`<file>--<test>.png` in SHOTS_DIR).
 */
export function useWebFixture(testFile: string): WebFixture {
  const file = basename(testFile).replace(/\.test\.ts$/, '');
  let fake: FakeModelServer | undefined;
  let browser: Browser | undefined;
  const harnesses: Harness[] = [];
  const pages: Page[] = [];

  // Chromium, a gateway and the page on a shared 2-core machine: give each test room.
  vi.setConfig({ testTimeout: 90_000, hookTimeout: 120_000 });
  beforeAll(async () => {
    ensureWebBuilt();
    await mkdir(SHOTS_DIR, { recursive: true });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  // A fresh fake model per test, so a reply one test left unused cannot answer in the next.
  beforeEach(async () => {
    fake = await startFakeModelServer();
  });
  afterEach(async (ctx) => {
    const name = `${file}--${slug(ctx.task.name)}`;
    const open = pages.splice(0);
    for (const [i, page] of open.entries()) {
      if (page.isClosed()) continue;
      const path = join(SHOTS_DIR, `${name}${i === 0 ? '' : `-${i + 1}`}.png`);
      await page.screenshot({ path, timeout: 10_000 }).catch(() => undefined);
      await page.close().catch(() => undefined);
    }
    for (const h of harnesses.splice(0)) await h.cleanup();
    await fake?.close();
    fake = undefined;
  });

  const fixture: WebFixture = {
    get fake() {
      if (!fake) throw new Error('the fake model server is not started yet');
      return fake;
    },
    get browser() {
      if (!browser) throw new Error('the browser is not started yet');
      return browser;
    },
    async gateway(config = {}) {
      const h = await startGateway(config);
      harnesses.push(h);
      return h;
    },
    async newPage(viewport) {
      const page = await fixture.browser.context.newPage();
      if (viewport) await page.setViewportSize(viewport);
      pages.push(page);
      return { page, log: watch(page) };
    },
    async shot(page, name) {
      const path = join(SHOTS_DIR, `${file}--${slug(name)}.png`);
      await page.screenshot({ path });
      return path;
    },
    modelConfig(extra = {}) {
      return {
        models: {
          providers: {
            fake: {
              baseUrl: fixture.fake.baseUrl,
              api: 'openai-chat',
              apiKey: 'k',
              models: [{ id: 'm', contextWindow: 10000, maxTokens: 100, cost: { input: 3, output: 15 } }],
            },
          },
        },
        agents: { defaults: { model: 'fake/m' } },
        ...extra,
      };
    },
  };
  return fixture;
}

/** `http://127.0.0.1:<port>` of a harness's gateway (the page's origin). */
export const origin = (h: Harness) => `http://127.0.0.1:${h.gateway.port}`;

/** The header's connection indicator in a given state. */
export const status = (page: Page, state: string) => page.locator(`cp-app .status[data-state="${state}"]`);

/** Open the UI with `#token=` and wait until it is connected. */
export async function signIn(page: Page, h: Harness): Promise<void> {
  await page.goto(`${origin(h)}/#token=${encodeURIComponent(h.token ?? '')}`);
  await status(page, 'open').waitFor();
}

/** Type a message in the composer and press Enter. */
export async function send(page: Page, text: string): Promise<void> {
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await box.press('Enter');
}

/** Open a Control tab. */
export async function openControl(page: Page, tab: string): Promise<void> {
  await page.getByRole('button', { name: /^Control/ }).click();
  await page.getByRole('tab', { name: new RegExp(`^${tab}`) }).click();
}

/** No request URL or WebSocket URL carries the token, and none has a query string. */
export function expectNoTokenLeak(log: PageLog, token: string): void {
  for (const url of [...log.urls, ...log.sockets]) {
    expect(url, url).not.toContain(token);
    expect(new URL(url).search, url).toBe('');
  }
}
