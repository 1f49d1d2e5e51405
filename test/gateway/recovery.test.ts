import type { ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeModelConfig } from '../fakes/fake-model-config.js';
import { type FakeModelServer, startFakeModelServer } from '../fakes/fake-model-server.js';
import { tempStateDir } from '../helpers/gateway-harness.js';
import { startGatewayProcess } from '../helpers/gateway-process.js';
import { connectedClient } from '../helpers/ws-client.js';

let fake: FakeModelServer;
beforeAll(async () => {
  fake = await startFakeModelServer();
});
afterAll(() => fake.close());

const config = () => fakeModelConfig(fake, { apiKey: 'sk-rec', contextWindow: 10_000 });

async function kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL') {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

describe('recovery after a crash', () => {
  it('an agent run cut off by SIGKILL is replayed once, and a retry of its key gets the final answer', async () => {
    const stateDir = await tempStateDir(config());
    fake.enqueue({ type: 'stall' }); // the first attempt hangs in the model call
    const first = await startGatewayProcess(stateDir);
    const c1 = await connectedClient(first.url, first.token);
    const params = { message: 'survive this', idempotencyKey: 'run-crash-1' };
    const before = fake.requests.length;
    const ack = await c1.request('agent', params);
    expect(ack.payload).toMatchObject({ status: 'accepted', runId: 'run-crash-1' });
    // Kill once the turn is inside the (stalled) model call, however slow the machine is.
    for (let i = 0; i < 400 && fake.requests.length === before; i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(fake.requests.length).toBeGreaterThan(before);
    await kill(first.child);

    fake.enqueue({ type: 'reply', text: 'made it', usage: { input: 3, output: 2 } });
    const second = await startGatewayProcess(stateDir);
    const c2 = await connectedClient(second.url, second.token);
    let res = await c2.request('agent', params);
    for (let i = 0; i < 400 && (res.payload as { status: string }).status === 'in_flight'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      res = await c2.request('agent', params);
    }
    expect(res.payload).toMatchObject({
      runId: 'run-crash-1',
      status: 'ok',
      result: { payloads: [{ text: 'made it' }] },
    });
    const history = (await c2.request('chat.history', { sessionKey: 'main' })).payload as {
      messages: { role: string; content: string }[];
    };
    expect(history.messages.map((m) => [m.role, m.content])).toEqual([
      ['user', 'survive this'],
      ['assistant', 'made it'],
    ]);
    c2.close();
    await kill(second.child, 'SIGTERM');
  });

  it('a message whose turn crashed the gateway three times is answered with an explicit error, not run again', async () => {
    const stateDir = await tempStateDir(config());
    await mkdir(join(stateDir, 'gateway'), { recursive: true });
    const payload = {
      v: 1,
      runId: 'poison-1',
      method: 'chat.send',
      sessionKey: 'agent:main:main',
      agentId: 'main',
      message: 'boom',
      acceptedAt: 1,
    };
    const lines = [
      { v: 1, op: 'accept', id: 'poison-1', at: 1, attempts: 0, sessionKey: 'agent:main:main', payload },
      ...[1, 2, 3].map((at) => ({ v: 1, op: 'start', id: 'poison-1', at })),
    ];
    await writeFile(
      join(stateDir, 'gateway', 'inbox.jsonl'),
      lines.map((l) => `${JSON.stringify(l)}\n`).join(''),
    );
    const before = fake.requests.length;
    const gw = await startGatewayProcess(stateDir);
    const c = await connectedClient(gw.url, gw.token);
    let messages: { role: string; stopReason?: string; errorMessage?: string }[] = [];
    for (let i = 0; i < 100 && messages.length === 0; i++) {
      messages = (
        (await c.request('chat.history', { sessionKey: 'main' })).payload as { messages: typeof messages }
      ).messages;
      if (messages.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ role: 'assistant', stopReason: 'error' });
    expect(messages[0]?.errorMessage).toContain('stopped 3 times');
    expect(fake.requests.length).toBe(before);
    c.close();
    await kill(gw.child, 'SIGTERM');
    // Answered: the next start does not bring it back.
    const again = await startGatewayProcess(stateDir);
    const c2 = await connectedClient(again.url, again.token);
    await new Promise((r) => setTimeout(r, 200));
    const after = (await c2.request('chat.history', { sessionKey: 'main' })).payload as {
      messages: unknown[];
    };
    expect(after.messages).toHaveLength(1);
    c2.close();
    await kill(again.child, 'SIGTERM');
  });
});
