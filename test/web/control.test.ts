import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { FakeTelegram } from '../fakes/fake-telegram.js';
import { connectedClient, type TestClient } from '../helpers/ws-client.js';
import { openControl, signIn, useWebFixture } from './fixture.js';

const web = useWebFixture(import.meta.url);

async function payload<T>(c: TestClient, method: string, params: unknown = {}): Promise<T> {
  const res = await c.request(method, params);
  expect(res.ok, `${method}: ${JSON.stringify(res.error)}`).toBe(true);
  return res.payload as T;
}

interface Row {
  key: string;
  sessionId: string;
  messageCount: number;
}
const sessionsOf = async (c: TestClient) =>
  (await payload<{ sessions: Row[] }>(c, 'sessions.list', {})).sessions;

const row = (page: Page, key: string) => page.locator(`tr[data-session="${key}"]`);

describe('Control UI in Chromium', () => {
  it('sessions: open one in the chat, reset it and delete it (each after a confirming click)', async () => {
    const h = await web.gateway(web.modelConfig());
    const c = await connectedClient(h.url, h.token, { scopes: ['operator.admin'] });
    for (const [key, text] of [
      ['main', 'hello from main'],
      ['agent:main:dm:work', 'the work notes'],
    ] as const) {
      await payload(c, 'chat.inject', { sessionKey: key, message: text, role: 'user' });
    }
    const before = (await sessionsOf(c)).find((s) => s.key === 'agent:main:dm:work');
    const { page, log } = await web.newPage();
    await signIn(page, h);
    await openControl(page, 'Sessions');
    await row(page, 'agent:main:main').waitFor();

    await row(page, 'agent:main:dm:work')
      .getByRole('button', { name: 'Open agent:main:dm:work in the chat' })
      .click();
    await page.getByText('the work notes', { exact: true }).waitFor();
    expect(await page.getByRole('combobox', { name: 'Session' }).inputValue()).toBe('agent:main:dm:work');

    await openControl(page, 'Sessions');
    const work = row(page, 'agent:main:dm:work');
    await work.getByRole('button', { name: 'Reset agent:main:dm:work' }).click();
    expect((await sessionsOf(c)).find((s) => s.key === 'agent:main:dm:work')?.sessionId).toBe(
      before?.sessionId,
    );
    await work
      .getByRole('button', { name: 'Reset agent:main:dm:work' })
      .filter({ hasText: 'Confirm reset' })
      .click();
    await work.locator('td[data-label="Messages"]', { hasText: /^\s*0\s*$/ }).waitFor();
    const after = (await sessionsOf(c)).find((s) => s.key === 'agent:main:dm:work');
    expect(after?.sessionId).not.toBe(before?.sessionId);

    await work.getByRole('button', { name: 'Delete agent:main:dm:work' }).click();
    await work
      .getByRole('button', { name: 'Delete agent:main:dm:work' })
      .filter({ hasText: 'Confirm delete' })
      .click();
    await work.waitFor({ state: 'detached' });
    expect((await sessionsOf(c)).map((s) => s.key)).toEqual(['agent:main:main']);
    await row(page, 'agent:main:main').waitFor();
    expect(log.problems).toEqual([]);
    c.close();
  });

  it('cron: lists jobs, disables and enables one, runs it now and shows the result', async () => {
    const h = await web.gateway(web.modelConfig());
    const c = await connectedClient(h.url, h.token, { scopes: ['operator.admin'] });
    const job = await payload<{ id: string }>(c, 'cron.add', {
      name: 'Morning summary',
      schedule: { kind: 'every', everyMs: 6 * 60 * 60 * 1000 },
      payload: { kind: 'agentTurn', message: 'Summarize the night.' },
    });
    const { page, log } = await web.newPage();
    await signIn(page, h);
    await openControl(page, 'Cron');
    const jobRow = page.locator('tr', { hasText: 'Morning summary' });
    await jobRow.waitFor();
    expect(await jobRow.textContent()).toContain('every 6 h');

    await jobRow.getByRole('button', { name: 'Disable Morning summary' }).click();
    await jobRow.getByText('(disabled)').waitFor();
    const listed = async () =>
      (await payload<{ jobs: { id: string; enabled: boolean }[] }>(c, 'cron.list', { includeDisabled: true }))
        .jobs;
    expect((await listed()).find((j) => j.id === job.id)?.enabled).toBe(false);
    await jobRow.getByRole('button', { name: 'Enable Morning summary' }).click();
    await jobRow.getByRole('button', { name: 'Disable Morning summary' }).waitFor();
    expect((await listed()).find((j) => j.id === job.id)?.enabled).toBe(true);

    // The job's own turn, then the heartbeat that tells the main session about its result.
    web.fake.enqueue(
      { type: 'reply', text: 'All quiet overnight.' },
      { type: 'reply', text: 'HEARTBEAT_OK' },
    );
    await jobRow.getByRole('button', { name: 'Run Morning summary now' }).click();
    await page.getByRole('status').filter({ hasText: 'Started Morning summary.' }).waitFor();
    await jobRow.getByText('(ok)').waitFor({ timeout: 20_000 });
    expect(web.fake.requests.some((r) => JSON.stringify(r.body).includes('Summarize the night.'))).toBe(true);
    expect(log.problems).toEqual([]);
    c.close();
  });

  it('logs: the tail shows the gateway log and follows new lines as they are written', async () => {
    const h = await web.gateway(web.modelConfig());
    const { page, log } = await web.newPage();
    await signIn(page, h);
    await openControl(page, 'Logs');
    const lines = page.locator('[aria-label="Gateway log lines"] .line');
    await lines.filter({ hasText: 'gateway listening' }).waitFor();
    const connected = lines.filter({ hasText: 'client connected' });
    const seen = await connected.count();
    const c = await connectedClient(h.url, h.token);
    // A new line appears without a click (the tail polls while the panel is open and Follow is on).
    await connected.nth(seen).waitFor({ timeout: 20_000 });
    expect(await connected.nth(seen).textContent()).toContain('INFO');
    expect(log.problems).toEqual([]);
    c.close();
  });

  it('channels: shows the Telegram account and approves a pairing request', async () => {
    const tg = await FakeTelegram.start();
    try {
      const h = await web.gateway(
        web.modelConfig({
          channels: { telegram: { accounts: { default: { botToken: tg.token, apiRoot: tg.apiRoot } } } },
        }),
      );
      const { page, log } = await web.newPage();
      await signIn(page, h);
      await openControl(page, 'Channels');
      await page.locator('[data-channel="telegram/default"]', { hasText: 'connected' }).waitFor({
        timeout: 20_000,
      });

      const ana = { id: 4242, first_name: 'Ana' };
      tg.userMessage({ from: ana, text: 'hi bot' });
      const request = page.locator('[data-pairing]', { hasText: 'Ana' });
      await request.waitFor({ timeout: 20_000 });
      const code = (await request.getAttribute('data-pairing')) ?? '';
      await tg.waitFor(() => tg.inChat(ana.id).some((m) => m.text.includes(code)), 'the pairing code');
      await request.getByRole('button', { name: 'Approve Ana on telegram' }).click();
      await page.getByRole('status').filter({ hasText: 'Approved Ana on telegram.' }).waitFor();
      await page.getByText('No pairing requests.').waitFor();

      // Approved: Ana's next message reaches the agent and she gets its answer.
      web.fake.enqueue({ type: 'reply', text: 'Hello Ana!' });
      tg.userMessage({ from: ana, text: 'can we talk now?' });
      await tg.waitFor(() => tg.inChat(ana.id).some((m) => m.text.includes('Hello Ana!')), 'the reply');
      expect(log.problems).toEqual([]);
    } finally {
      await tg.close();
    }
  });
});
