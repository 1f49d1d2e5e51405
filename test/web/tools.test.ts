import { copyFile, mkdir, stat } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../fakes/fake-model-server.js';
import { connectedClient } from '../helpers/ws-client.js';
import { openControl, send, signIn, status, useWebFixture } from './fixture.js';

const web = useWebFixture(import.meta.url);
const root = new URL('../..', import.meta.url).pathname;

/** The last tool result the agent sent back to the model. */
function lastToolResult(req: RecordedRequest): string {
  const messages = (req.body.messages as { role: string; content: unknown }[]) ?? [];
  const content = messages.filter((m) => m.role === 'tool').at(-1)?.content;
  return typeof content === 'string' ? content : JSON.stringify(content ?? '');
}

const tool = (page: Page, name: string) => page.locator('[data-kind="tool"]', { hasText: name });
const approval = (page: Page, command: string) => page.locator('[data-approval]', { hasText: command });

describe('WebChat tools in Chromium', () => {
  it('shows a tool call folded, with its arguments and result, live and after a reload', async () => {
    const h = await web.gateway(web.modelConfig({ tools: { sandbox: { mode: 'off' } } }));
    web.fake.enqueue(
      {
        type: 'reply',
        text: 'Let me look.',
        toolCalls: [{ id: 'call-ls', name: 'exec', args: { command: 'ls' } }],
        usage: { input: 412, output: 18 },
      },
      (req) => {
        const seen = lastToolResult(req).includes('AGENTS.md') ? 'AGENTS.md, SOUL.md, USER.md' : 'nothing';
        return {
          type: 'reply',
          text: ['Your workspace', ' holds the files', ` I start from: ${seen}`, ' and a memory folder.'],
          usage: { input: 530, output: 26 },
        };
      },
    );
    const { page, log } = await web.newPage({ width: 1000, height: 800 });
    await signIn(page, h);
    await send(page, 'What is in my workspace?');
    const reply = page.locator('[data-kind="assistant"]', { hasText: 'I start from: AGENTS.md' });
    await reply.waitFor();
    // Usage of the whole turn: both model calls.
    await reply.locator('[data-usage]', { hasText: 'in 942 · out 44 tokens' }).waitFor();

    const call = tool(page, 'exec');
    await call.locator('summary', { hasText: 'Tool exec ls — done' }).waitFor();
    // Folded: the result is in the page but not shown until the summary is clicked.
    expect(await call.locator('details[open]').count()).toBe(0);
    const result = call.locator('pre[data-result]');
    expect(await result.isVisible()).toBe(false);
    await call.locator('summary').click();
    await result.waitFor({ state: 'visible' });
    expect(await call.locator('pre[data-args]').textContent()).toBe('command: ls');
    expect(await result.textContent()).toMatch(/exitCode: 0\noutput:\n {2}AGENTS\.md\n/);
    // The order of the turn: the text before the call, the call, then the answer.
    const kinds = await page
      .locator('[role="log"] [data-kind]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    expect(kinds).toEqual(['user', 'assistant', 'tool', 'assistant']);
    await page.getByRole('textbox', { name: 'Message' }).fill('Thanks! Anything in memory/ yet?');
    await page.locator('[role="log"]').evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    await web.shot(page, 'streamed reply with a tool call');
    if (process.env.CARAPACE_DOCS_SCREENSHOT) {
      const shot = await web.shot(page, 'docs webchat');
      expect((await stat(shot)).size).toBeLessThan(150 * 1024);
      await mkdir(`${root}docs`, { recursive: true });
      await copyFile(shot, `${root}docs/webchat.png`);
    }

    await page.reload();
    await status(page, 'open').waitFor();
    const again = tool(page, 'exec');
    await again.locator('summary', { hasText: 'Tool exec ls — done' }).waitFor();
    expect(await again.locator('details[open]').count()).toBe(0);
    expect(await again.locator('pre[data-result]').textContent()).toContain('AGENTS.md');
    expect(log.problems).toEqual([]);
  });

  it('asks for exec approval in the page: allow once runs the command, deny refuses it', async () => {
    const h = await web.gateway(web.modelConfig({ tools: { sandbox: { mode: 'off' } } }));
    const answer = (prefix: string) => (req: RecordedRequest) => ({
      type: 'reply' as const,
      text: `${prefix}: ${lastToolResult(req).includes('Linux') ? 'it runs Linux' : 'I was not allowed'}`,
    });
    web.fake.enqueue(
      { type: 'reply', toolCalls: [{ id: 'call-os', name: 'exec', args: { command: 'uname -s' } }] },
      answer('First'),
    );
    const { page, log } = await web.newPage();
    await signIn(page, h);
    await send(page, 'Which OS is this?');

    // The request shows in the chat, with the command and why it asks; the Control button counts it.
    const asked = approval(page, 'uname -s');
    await asked.waitFor();
    expect(await asked.textContent()).toContain('not on the allowlist');
    await page.getByRole('button', { name: 'Control (1)' }).waitFor();
    await tool(page, 'exec').locator('summary', { hasText: 'uname -s — running…' }).waitFor();
    await web.shot(page, 'approval requested');
    await asked.getByRole('button', { name: 'Allow once' }).click();
    await asked.waitFor({ state: 'detached' });
    await page.locator('[data-kind="assistant"]', { hasText: 'First: it runs Linux' }).waitFor();
    await tool(page, 'exec').locator('summary', { hasText: 'done' }).waitFor();
    expect(lastToolResult(web.fake.requests.at(-1) as RecordedRequest)).toContain('Linux');

    // Deny, this time from Control → Approvals.
    web.fake.enqueue(
      { type: 'reply', toolCalls: [{ id: 'call-os2', name: 'exec', args: { command: 'uname -a' } }] },
      answer('Second'),
    );
    await send(page, 'And the kernel?');
    await approval(page, 'uname -a').waitFor();
    await openControl(page, 'Approvals');
    const inControl = page.locator('cp-control [data-approval]', { hasText: 'uname -a' });
    await inControl.getByRole('button', { name: 'Deny' }).click();
    await page.getByText('No commands are waiting for approval.').waitFor();
    await page.getByRole('button', { name: 'Chat', exact: true }).click();
    await page.locator('[data-kind="assistant"]', { hasText: 'Second: I was not allowed' }).waitFor();
    expect(lastToolResult(web.fake.requests.at(-1) as RecordedRequest)).toMatch(/denied|refused/i);
    expect(await page.locator('[data-approval]').count()).toBe(0);
    expect(log.problems).toEqual([]);
  });

  it('lists a request made before the page opened; allow always stops asking for that command', async () => {
    const h = await web.gateway(web.modelConfig({ tools: { sandbox: { mode: 'off' } } }));
    web.fake.enqueue(
      { type: 'reply', toolCalls: [{ id: 'call-m1', name: 'exec', args: { command: 'uname -m' } }] },
      { type: 'reply', text: 'machine noted' },
      { type: 'reply', toolCalls: [{ id: 'call-m2', name: 'exec', args: { command: 'uname -m' } }] },
      (req) => ({ type: 'reply', text: `again without asking: ${lastToolResult(req).includes('exitCode')}` }),
    );
    const { page } = await web.newPage();
    await signIn(page, h);
    await page.close();
    // The agent asks while no page is open (the message comes from another client).
    const c = await connectedClient(h.url, h.token, { scopes: ['operator.admin'] });
    await c.request('chat.send', { sessionKey: 'main', message: 'which machine?', idempotencyKey: 'm-1' });
    await c.waitFor((f) => f.event === 'exec.approval.requested', 10_000);

    const { page: later } = await web.newPage();
    await later.goto(`http://127.0.0.1:${h.gateway.port}/`);
    await status(later, 'open').waitFor();
    const asked = approval(later, 'uname -m');
    await asked.waitFor();
    await asked.getByRole('button', { name: 'Allow always' }).click();
    await later.locator('[data-kind="assistant"]', { hasText: 'machine noted' }).waitFor();

    await send(later, 'once more');
    await later.locator('[data-kind="assistant"]', { hasText: 'again without asking: true' }).waitFor();
    expect(await later.locator('[data-approval]').count()).toBe(0);
    c.close();
  });
});
