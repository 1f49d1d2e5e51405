import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fakeModelConfig } from '../fakes/fake-model-config.js';
import { type FakeModelServer, startFakeModelServer } from '../fakes/fake-model-server.js';
import { type Harness, startGateway } from '../helpers/gateway-harness.js';
import { connectedClient } from '../helpers/ws-client.js';

let fake: FakeModelServer;
beforeAll(async () => {
  fake = await startFakeModelServer();
});
afterAll(() => fake.close());
const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.cleanup();
});

async function setup(extra: Record<string, unknown> = {}) {
  const h = await startGateway({
    ...fakeModelConfig(fake),
    ...extra,
  });
  harnesses.push(h);
  return { h, c: await connectedClient(h.url, h.token) };
}
const toolNames = (body: Record<string, unknown>) =>
  ((body.tools as { function: { name: string } }[]) ?? []).map((t) => t.function.name);
const lastToolResult = (body: Record<string, unknown>) =>
  JSON.stringify((body.messages as { role: string }[]).filter((m) => m.role === 'tool').at(-1));

describe('tools over the wire', () => {
  it('the model writes a file in the workspace through the write tool; tool events stream', async () => {
    const { h, c } = await setup();
    fake.enqueue(
      {
        type: 'reply',
        toolCalls: [
          { id: 'call-1', name: 'write', args: { path: 'notes/todo.md', content: '- buy milk\n' } },
        ],
      },
      { type: 'reply', text: 'saved' },
    );
    const res = await c.request('agent', { message: 'note: buy milk', idempotencyKey: 't-write' });
    expect(res.payload).toMatchObject({ status: 'accepted' });
    await c.waitFor((f) => f.type === 'res' && (f.payload as { status: string }).status === 'ok');
    expect(await readFile(join(h.stateDir, 'workspace', 'notes', 'todo.md'), 'utf8')).toBe('- buy milk\n');
    const tools = c
      .events('agent')
      .map((f) => f.payload as { stream: string; data: { phase: string; name: string } })
      .filter((e) => e.stream === 'tool');
    expect(tools.map((t) => [t.data.phase, t.data.name])).toEqual([
      ['start', 'write'],
      ['result', 'write'],
    ]);
    expect(toolNames(fake.requests.at(-2)?.body ?? {})).toEqual(
      expect.arrayContaining(['read', 'write', 'exec', 'web_fetch']),
    );
  });

  it('a path outside the workspace is refused and the refusal goes back to the model', async () => {
    const { h, c } = await setup();
    fake.enqueue(
      {
        type: 'reply',
        toolCalls: [{ id: 'call-2', name: 'read', args: { path: '../credentials/gateway-token' } }],
      },
      { type: 'reply', text: 'could not' },
    );
    await c.request('agent', { message: 'read the token', idempotencyKey: 't-escape' });
    await c.waitFor((f) => f.type === 'res' && (f.payload as { status: string }).status === 'ok');
    const sent = lastToolResult(fake.requests.at(-1)?.body ?? {});
    expect(sent).toMatch(/outside|workspace|refused/i);
    expect(JSON.stringify(c.frames)).not.toContain(h.token);
  });

  it('exec outside the allowlist asks an operator: allow-once runs it, deny refuses it', async () => {
    const { c } = await setup({ tools: { sandbox: { mode: 'off' } } });
    fake.enqueue(
      { type: 'reply', toolCalls: [{ id: 'call-3', name: 'exec', args: { command: 'uname -s' } }] },
      { type: 'reply', text: 'done' },
    );
    await c.request('agent', { message: 'which os?', idempotencyKey: 't-exec-allow' });
    const asked = await c.waitFor((f) => f.event === 'exec.approval.requested', 10_000);
    const request = asked.payload as { id: string; argv: string[]; sessionKey: string };
    expect(request.argv).toEqual(['uname', '-s']);
    expect(request.sessionKey).toBe('agent:main:main');
    const resolved = await c.request('exec.approval.resolve', { id: request.id, decision: 'allow-once' });
    expect(resolved.payload).toMatchObject({ ok: true, decision: 'allow-once' });
    await c.waitFor(
      (f) =>
        f.type === 'res' &&
        (f.payload as { runId?: string; status: string }).runId === 't-exec-allow' &&
        (f.payload as { status: string }).status === 'ok',
      10_000,
    );
    expect(lastToolResult(fake.requests.at(-1)?.body ?? {})).toContain('Linux');

    fake.enqueue(
      { type: 'reply', toolCalls: [{ id: 'call-4', name: 'exec', args: { command: 'uname -a' } }] },
      { type: 'reply', text: 'ok' },
    );
    await c.request('agent', { message: 'again', idempotencyKey: 't-exec-deny' });
    const asked2 = await c.waitFor(
      (f) => f.event === 'exec.approval.requested' && (f.payload as { argv: string[] }).argv[1] === '-a',
      10_000,
    );
    await c.request('exec.approval.resolve', { id: (asked2.payload as { id: string }).id, decision: 'deny' });
    await c.waitFor(
      (f) =>
        f.type === 'res' &&
        (f.payload as { runId?: string }).runId === 't-exec-deny' &&
        (f.payload as { status: string }).status === 'ok',
      10_000,
    );
    expect(lastToolResult(fake.requests.at(-1)?.body ?? {})).toMatch(/denied|refused/i);
    const unknown = await c.request('exec.approval.resolve', { id: 'nope', decision: 'deny' });
    expect(unknown.error).toMatchObject({ code: 'APPROVAL_NOT_FOUND' });
  });

  it('tool policy: a denied group is not offered to the model', async () => {
    const { c } = await setup({ tools: { deny: ['group:runtime', 'web_fetch'] } });
    fake.enqueue({ type: 'reply', text: 'hi' });
    await c.request('agent', { message: 'hello', idempotencyKey: 't-policy' });
    await c.waitFor((f) => f.type === 'res' && (f.payload as { status: string }).status === 'ok');
    const names = toolNames(fake.requests.at(-1)?.body ?? {});
    expect(names).toContain('read');
    expect(names).not.toContain('exec');
    expect(names).not.toContain('process');
    expect(names).not.toContain('web_fetch');
  });
});
