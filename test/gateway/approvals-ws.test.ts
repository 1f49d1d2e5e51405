import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fakeModelConfig } from '../fakes/fake-model-config.js';
import { type FakeModelServer, startFakeModelServer } from '../fakes/fake-model-server.js';
import { type Harness, startGateway } from '../helpers/gateway-harness.js';
import { connectedClient, type Frame, type TestClient } from '../helpers/ws-client.js';

// Exec approval round trips over the WebSocket: allow-always (persisted, the same command then runs without
// asking) and the approval timeout (no answer is a deny, and the model is told why).

let fake: FakeModelServer;
beforeAll(async () => {
  fake = await startFakeModelServer();
});
afterAll(() => fake.close());
const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.cleanup();
});

async function setup(exec: Record<string, unknown> = {}) {
  const h = await startGateway({
    ...fakeModelConfig(fake),
    tools: { sandbox: { mode: 'off' }, exec },
  });
  harnesses.push(h);
  return { h, c: await connectedClient(h.url, h.token) };
}

/** The last tool result the model was sent. */
const lastToolResult = () =>
  JSON.stringify(
    ((fake.requests.at(-1)?.body.messages as { role: string }[]) ?? [])
      .filter((m) => m.role === 'tool')
      .at(-1),
  );

/** Run one agent turn whose model calls exec with `command`, then answers `done`. */
async function turnWithExec(c: TestClient, runId: string, command: string) {
  fake.enqueue(
    { type: 'reply', toolCalls: [{ id: `call-${runId}`, name: 'exec', args: { command } }] },
    { type: 'reply', text: 'done' },
  );
  const ack = await c.request('agent', { message: `run ${command}`, idempotencyKey: runId });
  expect(ack.payload).toMatchObject({ status: 'accepted' });
}

const finished = (runId: string) => (f: Frame) =>
  f.type === 'res' &&
  (f.payload as { runId?: string }).runId === runId &&
  (f.payload as { status?: string }).status === 'ok';

describe('exec approvals over the WebSocket', () => {
  it('allow-always runs the command, persists the entry, and the same command then runs without asking', async () => {
    const { h, c } = await setup();
    await turnWithExec(c, 'aa-1', 'uname -s');
    const asked = await c.waitFor((f) => f.event === 'exec.approval.requested', 10_000);
    const request = asked.payload as { id: string; argv: string[]; agentId: string };
    expect(request).toMatchObject({ argv: ['uname', '-s'], agentId: 'main' });
    const listed = await c.request('exec.approvals.list', {});
    expect((listed.payload as { pending: { id: string }[] }).pending.map((p) => p.id)).toEqual([request.id]);

    const res = await c.request('exec.approval.resolve', { id: request.id, decision: 'allow-always' });
    expect(res.payload).toMatchObject({ ok: true, decision: 'allow-always' });
    await c.waitFor(finished('aa-1'), 10_000);
    expect(lastToolResult()).toContain('Linux');
    expect(lastToolResult()).toContain('added to the exec allowlist');
    const resolved = c.events('exec.approval.resolved').map((f) => f.payload);
    expect(resolved).toEqual([{ id: request.id, decision: 'allow-always', by: 'operator' }]);

    // Persisted: the file holds an exact entry pinned to the program, and exec.approvals.get shows it.
    const file = JSON.parse(await readFile(join(h.stateDir, 'exec-approvals.json'), 'utf8')) as {
      entries: { argv: string[]; match: string; agentId?: string; binaries?: { path: string }[] }[];
    };
    expect(file.entries).toHaveLength(1);
    expect(file.entries[0]).toMatchObject({ argv: ['uname', '-s'], match: 'exact', agentId: 'main' });
    expect(file.entries[0]?.binaries?.at(-1)?.path).toMatch(/uname$/);
    const got = await c.request('exec.approvals.get', {});
    expect((got.payload as { file: { entries: unknown[] } }).file.entries).toHaveLength(1);

    // The identical command runs without a new request; a different one still asks.
    await turnWithExec(c, 'aa-2', 'uname -s');
    await c.waitFor(finished('aa-2'), 10_000);
    expect(lastToolResult()).toContain('Linux');
    expect(c.events('exec.approval.requested')).toHaveLength(1);
    await turnWithExec(c, 'aa-3', 'uname -m');
    const again = await c.waitFor(
      (f) => f.event === 'exec.approval.requested' && (f.payload as { argv: string[] }).argv[1] === '-m',
      10_000,
    );
    await c.request('exec.approval.resolve', { id: (again.payload as { id: string }).id, decision: 'deny' });
    await c.waitFor(finished('aa-3'), 10_000);
    expect(lastToolResult()).toContain('EXEC_APPROVAL_DENIED');
  });

  it('no answer within approvalTimeoutSec: the command is refused with a message naming the timeout', async () => {
    const { c } = await setup({ approvalTimeoutSec: 1 });
    await turnWithExec(c, 'to-1', 'uname -r');
    const asked = await c.waitFor((f) => f.event === 'exec.approval.requested', 10_000);
    const id = (asked.payload as { id: string }).id;
    await c.waitFor(finished('to-1'), 15_000);
    const result = lastToolResult();
    expect(result).toContain('EXEC_APPROVAL_TIMEOUT');
    expect(result).toContain('no operator answered within 1 s (tools.exec.approvalTimeoutSec)');
    expect(result).not.toMatch(/"status":"completed"/);
    expect(c.events('exec.approval.resolved').map((f) => f.payload)).toEqual([
      { id, decision: 'deny', by: 'cancelled' },
    ]);
    expect((await c.request('exec.approvals.list', {})).payload).toEqual({ pending: [] });
    const late = await c.request('exec.approval.resolve', { id, decision: 'allow-once' });
    expect(late.error).toMatchObject({ code: 'APPROVAL_NOT_FOUND' });
  });
});
