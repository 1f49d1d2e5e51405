import { describe, expect, it } from 'vitest';
import { Gateway } from '../../src/gateway/index.js';
import { connectedClient } from '../helpers/ws-client.js';
import { expectNoTokenLeak, origin, send, signIn, status, useWebFixture } from './fixture.js';

const web = useWebFixture(import.meta.url);

describe('WebChat in Chromium', () => {
  it('signs in with #token (then scrubbed), streams a reply, and shows the history after a reload', async () => {
    const h = await web.gateway(web.modelConfig());
    web.fake.enqueue({
      type: 'reply',
      text: ['Hello', ' from', ' the fake model'],
      usage: { input: 12, output: 5 },
    });
    const { page, log } = await web.newPage();
    await signIn(page, h);
    expect(await page.evaluate<string>('location.href')).toBe(`${origin(h)}/`);
    expect(await page.evaluate<string | null>("localStorage.getItem('carapace.gateway.token')")).toBe(
      h.token,
    );

    await send(page, 'say hello');
    const reply = page.locator('[data-kind="assistant"]', { hasText: 'Hello from the fake model' });
    await reply.waitFor();
    await reply.locator('[data-usage]', { hasText: 'in 12 · out 5 tokens' }).waitFor();

    web.fake.enqueue({ type: 'reply', text: 'Got the file.' });
    const note = { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('the word is kumquat') };
    await page.locator('cp-composer input[type="file"]').setInputFiles(note);
    await page.locator('cp-composer .chip', { hasText: 'notes.txt' }).waitFor();
    await send(page, 'read this');
    await page.locator('[data-kind="assistant"]', { hasText: 'Got the file.' }).waitFor();
    expect(JSON.stringify(web.fake.requests.at(-1)?.body)).toContain('kumquat');

    await page.reload();
    await status(page, 'open').waitFor();
    await page.locator('[data-kind="user"]', { hasText: 'say hello' }).waitFor();
    await page.locator('[data-kind="assistant"]', { hasText: 'Hello from the fake model' }).waitFor();

    expect(log.sockets.every((u) => u === `ws://127.0.0.1:${h.gateway.port}/`)).toBe(true);
    expect(log.sockets.length).toBeGreaterThan(0);
    expectNoTokenLeak(log, h.token ?? '');
    expect(log.problems).toEqual([]);
  });

  it('says clearly that no model is configured and what to add', async () => {
    const h = await web.gateway({});
    const { page, log } = await web.newPage();
    await signIn(page, h);
    await page.locator('[data-no-model-banner]').waitFor();
    await send(page, 'hi');
    const box = page.locator('[data-no-model]');
    await box.waitFor();
    const text = (await box.textContent()) ?? '';
    expect(text).toContain('No model is configured');
    expect(text).toContain('carapace.json');
    expect(text).toContain('"providers"');
    expect(log.problems).toEqual([]);
  });

  it('asks for the token when the gateway refuses, and keeps it once pasted', async () => {
    const h = await web.gateway(web.modelConfig());
    const { page } = await web.newPage();
    await page.goto(`${origin(h)}/#token=wrong-token`);
    const field = page.getByLabel('Gateway token');
    await field.waitFor();
    await page.getByRole('alert').filter({ hasText: 'token mismatch' }).waitFor();
    await field.fill(h.token ?? '');
    await field.press('Enter');
    await status(page, 'open').waitFor();
    expect(await page.evaluate<string | null>("localStorage.getItem('carapace.gateway.token')")).toBe(
      h.token,
    );
  });

  it('reconnects after a gateway restart, keeping what was on screen', async () => {
    const h = await web.gateway(web.modelConfig());
    const port = h.gateway.port;
    web.fake.enqueue({ type: 'reply', text: 'first answer' }, { type: 'reply', text: 'second answer' });
    const { page, log } = await web.newPage();
    await signIn(page, h);
    await send(page, 'one');
    await page.locator('[data-kind="assistant"]', { hasText: 'first answer' }).waitFor();

    await h.gateway.stop('test restart');
    await status(page, 'reconnecting').waitFor();
    await page.locator('[data-kind="assistant"]', { hasText: 'first answer' }).waitFor();
    h.gateway = await Gateway.start({ stateDir: h.stateDir, port, env: {} });
    // Skip the backoff wait: press "Retry now" whenever it shows, until the page is connected again.
    const retry = page.getByRole('button', { name: 'Retry now' });
    await expect
      .poll(
        async () => {
          if ((await status(page, 'open').count()) > 0) return 'open';
          if (await retry.isVisible()) await retry.click({ timeout: 1000 }).catch(() => undefined);
          return 'waiting';
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe('open');

    await send(page, 'two');
    await page.locator('[data-kind="assistant"]', { hasText: 'second answer' }).waitFor();
    await page.locator('[data-kind="assistant"]', { hasText: 'first answer' }).waitFor();
    expectNoTokenLeak(log, h.token ?? '');
  });

  it('pages older history on request and stops a running reply', async () => {
    const h = await web.gateway(web.modelConfig());
    const c = await connectedClient(h.url, h.token, { scopes: ['operator.admin'] });
    for (let i = 1; i <= 60; i++) {
      const res = await c.request('chat.inject', { sessionKey: 'main', message: `note ${i}`, role: 'user' });
      expect(res.ok).toBe(true);
    }
    c.close();
    const { page } = await web.newPage();
    await signIn(page, h);
    await page.getByText('note 60', { exact: true }).waitFor();
    expect(await page.getByText('note 1', { exact: true }).count()).toBe(0);
    await page.getByRole('button', { name: 'Load older messages' }).click();
    await page.getByText('note 1', { exact: true }).waitFor();

    web.fake.enqueue({ type: 'reply', text: ['partial ', 'never sent'], stallAfter: 1 });
    await send(page, 'take your time');
    await page.locator('[data-kind="assistant"]', { hasText: 'partial' }).waitFor();
    await page.getByRole('button', { name: 'Stop the reply' }).click();
    await page.locator('[data-kind="notice"]', { hasText: 'Stopped.' }).waitFor();
    await page.getByRole('button', { name: 'Stop the reply' }).waitFor({ state: 'detached' });
  });

  it('slash commands: the hint lists them, /status answers without the model, /new starts afresh', async () => {
    const h = await web.gateway(web.modelConfig());
    web.fake.enqueue({ type: 'reply', text: 'an answer to forget' });
    const { page, log } = await web.newPage();
    await signIn(page, h);
    await send(page, 'remember this');
    await page.locator('[data-kind="assistant"]', { hasText: 'an answer to forget' }).waitFor();
    const requests = web.fake.requests.length;

    await page.getByRole('textbox', { name: 'Message' }).fill('/');
    const hint = page.locator('cp-composer #cmd-hint');
    await hint.waitFor();
    for (const c of ['/new', '/reset', '/stop', '/status', '/model'])
      expect(await hint.textContent()).toContain(c);
    await page.getByRole('textbox', { name: 'Message' }).fill('/sta');
    expect((await hint.textContent())?.trim()).toMatch(/^\/status show the session state$/);

    await send(page, '/status');
    await page.locator('[data-kind="assistant"], [data-kind="notice"]', { hasText: 'fake/m' }).waitFor();
    await send(page, '/new');
    await page
      .locator('[data-kind="assistant"]', { hasText: 'an answer to forget' })
      .waitFor({ state: 'detached' });
    expect(web.fake.requests.length).toBe(requests);
    expect(log.problems).toEqual([]);
  });

  it('works on a phone-sized screen (no sideways scrolling) and in light and dark (kept across reloads)', async () => {
    const h = await web.gateway(web.modelConfig());
    web.fake.enqueue({
      type: 'reply',
      text: 'A short answer that wraps on a narrow phone screen.',
      usage: { input: 30, output: 11 },
    });
    const { page, log } = await web.newPage({ width: 390, height: 844 });
    await signIn(page, h);
    await send(page, 'What can you do?');
    await page
      .locator('[data-kind="assistant"] [data-usage]', { hasText: 'in 30 · out 11 tokens' })
      .waitFor();
    await web.shot(page, 'phone chat');

    await page.getByRole('button', { name: 'Control', exact: true }).click();
    await page.locator('tr[data-session="agent:main:main"]').waitFor();
    await page.locator('[data-usage-total]', { hasText: '41 tokens' }).waitFor();
    const fitsWidth = () => page.evaluate<boolean>('document.documentElement.scrollWidth <= innerWidth');
    expect(await fitsWidth()).toBe(true);
    await page.getByRole('tab', { name: 'Usage' }).click();
    const today = page.locator('tr[data-row^="day:"]');
    await today.waitFor();
    expect(await today.textContent()).toContain('30 / 11');
    // Cost from the model's prices (3 and 15 USD per million tokens in and out): 0.000255 USD.
    const main = page.locator('tr[data-row="session:agent:main:main"]');
    expect(await main.textContent()).toMatch(/30 \/ 11\s*\$0\.0002[56]/);
    for (const tab of ['Channels', 'Approvals', 'Cron', 'Logs', 'Sessions']) {
      await page.getByRole('tab', { name: tab, exact: true }).click();
      await page.locator('[role="tabpanel"] section').first().waitFor();
      expect(await fitsWidth(), tab).toBe(true);
    }
    await web.shot(page, 'phone control');
    const background = () => page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
    expect(await background()).toBe('rgb(246, 247, 249)');
    await page.getByRole('button', { name: /Switch to dark theme/ }).click();
    expect(await page.evaluate<string | undefined>('document.documentElement.dataset.theme')).toBe('dark');
    expect(await background()).toBe('rgb(17, 19, 24)');
    await page.getByRole('button', { name: 'Chat', exact: true }).click();
    expect(await fitsWidth()).toBe(true);
    await web.shot(page, 'phone chat dark');
    await page.reload();
    await status(page, 'open').waitFor();
    expect(await background()).toBe('rgb(17, 19, 24)');
    await page.getByRole('button', { name: /Switch to light theme/ }).click();
    expect(await background()).toBe('rgb(246, 247, 249)');
    expect(log.problems).toEqual([]);
  });
});
