import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

const root = new URL('../..', import.meta.url).pathname;

function newest(dir: string): number {
  let max = 0;
  if (!existsSync(dir)) return max;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) max = Math.max(max, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return max;
}

/**
 * Build web/dist when a source of the UI is newer than the last build (the gateway serves web/dist).
 * The global setup rebuilds only for src/ changes.
 */
export function ensureWebBuilt(): void {
  const built = join(root, 'web', 'dist', 'index.html');
  const sources = Math.max(
    newest(join(root, 'web', 'src')),
    newest(join(root, 'web', 'public')),
    statSync(join(root, 'web', 'index.html')).mtimeMs,
    statSync(join(root, 'web', 'vite.config.ts')).mtimeMs,
  );
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  const script =
    "const { build } = await import('vite'); await build({ configFile: 'web/vite.config.ts', mode: 'production', logLevel: 'warn' });";
  const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (res.status !== 0) throw new Error('building web/dist failed');
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Debian's Chromium, headless, with a fresh profile; never a downloaded browser. */
export async function launchBrowser(viewport = { width: 1100, height: 800 }): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'carapace-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Everything a page did on the network and said on the console, for assertions. */
export interface PageLog {
  urls: string[];
  sockets: string[];
  problems: string[];
}

/** Record requests, WebSocket URLs, uncaught errors and console errors (CSP violations among them). */
export function watch(page: Page): PageLog {
  const log: PageLog = { urls: [], sockets: [], problems: [] };
  page.on('request', (r) => log.urls.push(r.url()));
  page.on('websocket', (ws) => log.sockets.push(ws.url()));
  page.on('pageerror', (e) => log.problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/WebSocket connection to .* failed/.test(m.text()))
      log.problems.push(`console: ${m.text()}`);
  });
  return log;
}
