import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Page, Request } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { openControl, origin, send, status, useWebFixture } from './fixture.js';

const web = useWebFixture(import.meta.url);
const SECRET = 'SECRET-query-token-0123456789';

/** A would-be gateway elsewhere: an HTTP + WebSocket server that records every connection it gets. */
interface Recorder {
  port: number;
  connections: string[];
  close(): Promise<void>;
}

async function startRecorder(): Promise<Recorder> {
  const connections: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    connections.push(`http ${req.method} ${req.url}`);
    res.writeHead(200, { 'access-control-allow-origin': '*' }).end('{}');
  });
  server.on('connection', (s: Socket) => {
    connections.push(`tcp from ${s.remotePort}`);
    sockets.add(s);
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (_ws, req) => connections.push(`ws ${req.url}`));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections,
    close: async () => {
      for (const s of sockets) s.destroy();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let recorder: Recorder | undefined;
afterEach(async () => {
  await recorder?.close();
  recorder = undefined;
});

/** Everything the page sent: requests (with all headers) and WebSocket frames. */
function record(page: Page) {
  const requests: Request[] = [];
  const frames: string[] = [];
  const sockets: string[] = [];
  page.on('request', (r) => requests.push(r));
  page.on('websocket', (ws) => {
    sockets.push(ws.url());
    ws.on('framesent', (f) => frames.push(typeof f.payload === 'string' ? f.payload : f.payload.toString()));
  });
  return { requests, frames, sockets };
}

async function storageText(page: Page): Promise<string> {
  const inPage = await page.evaluate<string>(
    'JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])',
  );
  const cookies = await web.browser.context.cookies();
  return inPage + JSON.stringify(cookies);
}

describe('WebChat opened with ?gatewayUrl=…&token=…', () => {
  it('connects nowhere else, stores and sends nothing of the query, and scrubs #token', async () => {
    recorder = await startRecorder();
    const h = await web.gateway(web.modelConfig());
    const own = origin(h);
    const evil = `ws://127.0.0.1:${recorder.port}`;
    const query = `?gatewayUrl=${encodeURIComponent(evil)}&token=${SECRET}`;
    const { page, log } = await web.newPage();
    const seen = record(page);

    // Without a stored token: the page asks for one (for its own gateway) and ignores the query's.
    await page.goto(`${own}/${query}`);
    await status(page, 'unauthorized').waitFor();
    await page.getByLabel('Gateway token').waitFor();
    expect(await page.getByLabel('Gateway token').inputValue()).toBe('');
    expect(await storageText(page)).not.toContain(SECRET);

    // A #token link opened in the same tab (only the fragment changes, the page stays), with a gateway URL
    // in the fragment too: the token is taken for the own gateway only and the fragment is gone at once.
    const fragment = `#token=${encodeURIComponent(h.token ?? '')}&gatewayUrl=${encodeURIComponent(evil)}`;
    await page.goto(`${own}/${query}${fragment}`);
    await status(page, 'open').waitFor();
    expect(await page.evaluate<string>('location.hash')).toBe('');
    expect(await page.evaluate<string>('location.href')).not.toContain(h.token ?? '');
    expect(await page.evaluate<string | null>("localStorage.getItem('carapace.gateway.token')")).toBe(
      h.token,
    );

    // Use the page: a reply, every Control tab, the settings.
    web.fake.enqueue({ type: 'reply', text: 'all local' });
    await send(page, 'hello');
    await page.locator('[data-kind="assistant"]', { hasText: 'all local' }).waitFor();
    for (const tab of ['Sessions', 'Usage', 'Channels', 'Approvals', 'Cron', 'Logs']) {
      await openControl(page, tab);
      await page.locator('[role="tabpanel"] section').first().waitFor();
    }
    await page.getByRole('button', { name: 'Settings' }).click();
    expect(await page.getByLabel(/^Gateway URL/).inputValue()).toBe('');
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.reload();
    await status(page, 'open').waitFor();

    expect(recorder.connections).toEqual([]);
    const ownWs = `ws://127.0.0.1:${h.gateway.port}/`;
    expect(seen.sockets.length).toBeGreaterThan(0);
    expect(seen.sockets.every((u) => u === ownWs)).toBe(true);
    for (const url of log.urls) expect(new URL(url).origin, url).toBe(own);
    // Only the navigations themselves carry the query; nothing the page sends afterwards does.
    const navigations = seen.requests.filter((r) => r.isNavigationRequest());
    expect(navigations.map((r) => r.url().split('?')[0])).toEqual([`${own}/`, `${own}/`]);
    for (const r of seen.requests.filter((x) => !x.isNavigationRequest())) {
      const headers = await r.allHeaders();
      expect(r.url(), r.url()).not.toContain(SECRET);
      expect(JSON.stringify(headers), r.url()).not.toContain(SECRET);
      expect(headers.referer ?? '', r.url()).toBe('');
    }
    expect(seen.frames.length).toBeGreaterThan(0);
    for (const f of seen.frames) expect(f).not.toContain(SECRET);
    expect(seen.frames.some((f) => f.includes(h.token ?? '?'))).toBe(true); // the real token, to its own gateway
    expect(await storageText(page)).not.toContain(SECRET);
    expect(await storageText(page)).not.toContain(String(recorder.port));
    expect(log.problems).toEqual([]);
    // The recorder does record (so the empty list above means something).
    await fetch(`http://127.0.0.1:${recorder.port}/probe`);
    expect(recorder.connections).toContain('http GET /probe');
  });
});
