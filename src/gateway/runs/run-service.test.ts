import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fakeModelConfig } from '../../../test/fakes/fake-model-config.js';
import { type FakeModelServer, startFakeModelServer } from '../../../test/fakes/fake-model-server.js';
import { type Harness, startGateway } from '../../../test/helpers/gateway-harness.js';
import { connectedClient } from '../../../test/helpers/ws-client.js';
import { Inbox } from '../../sessions/index.js';

let fake: FakeModelServer;
beforeAll(async () => {
  fake = await startFakeModelServer();
});
afterAll(() => fake.close());
const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.cleanup();
});

async function setup(): Promise<Harness> {
  const h = await startGateway({
    ...fakeModelConfig(fake, { retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 10 } }),
    session: { reset: { mode: 'off' } },
    heartbeat: { every: '0m' },
  });
  harnesses.push(h);
  return h;
}

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const inboxFile = (h: Harness) => join(h.stateDir, 'gateway', 'inbox.jsonl');

/** The inbox lines of one id, as `op` names. */
async function opsOf(h: Harness, id: string): Promise<string[]> {
  return (await readFile(inboxFile(h), 'utf8'))
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { op: string; id: string })
    .filter((l) => l.id === id)
    .map((l) => l.op);
}

/** What a gateway started on a copy of the inbox file as it is now would recover (a crash leaves it so). */
async function recoveredFromCopy(h: Harness) {
  const copy = join(h.stateDir, 'inbox-copy.jsonl');
  await copyFile(inboxFile(h), copy);
  const inbox = new Inbox<unknown>({ file: copy });
  const recovered = await inbox.start();
  await inbox.stop();
  return recovered.map((r) => [r.id, r.attempts]);
}

describe('RunService: turn starts counted for poison messages', () => {
  it('counts a turn the moment it starts (a crash then leaves it counted), takes the count back on a graceful stop, and the answer clears it', async () => {
    const h = await setup();
    const requests = fake.requests.length;
    fake.enqueue({ type: 'stall' });
    const client = await connectedClient(h.url, h.token);
    const ack = await client.request('chat.send', {
      sessionKey: 'main',
      message: 'a long job',
      idempotencyKey: 'long-1',
    });
    expect(ack.ok).toBe(true);
    await until(() => fake.requests.length > requests, 'the model call');

    // Mid-turn: the start is on disk; were the process killed now, the next start would count one attempt.
    expect(await opsOf(h, 'long-1')).toEqual(['accept', 'start']);
    expect(await recoveredFromCopy(h)).toEqual([['long-1', 1]]);

    // A graceful stop cuts the turn short: not answered (replayed later), and not counted as a crash.
    client.close();
    await h.gateway.stop('test stop');
    expect(await opsOf(h, 'long-1')).toEqual(['accept', 'start', 'interrupted']);
    expect(await recoveredFromCopy(h)).toEqual([['long-1', 0]]);

    // The next start replays it (one start counted), the answer clears it.
    fake.enqueue({ type: 'reply', text: 'done at last', usage: { input: 3, output: 2 } });
    await h.restart();
    await until(
      async () => (await opsOf(h, 'long-1')).includes('answer'),
      'the replayed turn to be answered',
    );
    const ops = await opsOf(h, 'long-1');
    expect(ops).toEqual(['accept', 'start', 'answer']);
    const accept = (await readFile(inboxFile(h), 'utf8'))
      .split('\n')
      .filter((l) => l.includes('"long-1"'))
      .map((l) => JSON.parse(l) as { op: string; attempts?: number })
      .find((l) => l.op === 'accept');
    expect(accept?.attempts).toBe(0);
    expect(h.gateway.runs.inbox.pending()).toEqual([]);
    expect(await recoveredFromCopy(h)).toEqual([]);
  }, 60_000);

  it('replays a message counted three times whose reply is already recorded, instead of giving it up', async () => {
    const h = await setup();
    fake.enqueue({ type: 'reply', text: 'the real answer', usage: { input: 3, output: 2 } });
    const client = await connectedClient(h.url, h.token);
    await client.request('chat.send', { sessionKey: 'main', message: 'answer me', idempotencyKey: 'r-1' });
    await until(async () => (await opsOf(h, 'r-1')).includes('answer'), 'the answer');
    client.close();
    await h.gateway.stop('test stop');
    // As three kills leave it when the last one fell between the recorded reply and the inbox answer.
    const lines = (await readFile(inboxFile(h), 'utf8')).split('\n').filter((l) => l.trim());
    const kept = lines.filter((l) => !l.includes('"op":"answer"'));
    const start = kept.find((l) => l.includes('"op":"start"'))!;
    await writeFile(inboxFile(h), `${[...kept, start, start].join('\n')}\n`);
    expect(await recoveredFromCopy(h)).toEqual([['r-1', 3]]);
    const requests = fake.requests.length;

    await h.restart();
    await until(async () => (await opsOf(h, 'r-1')).includes('answer'), 'the replay to be answered');
    expect(fake.requests.length).toBe(requests);
    const c2 = await connectedClient(h.url, h.token);
    const history = (await c2.request('chat.history', { sessionKey: 'main' })).payload as {
      messages: { role: string; content: string; stopReason?: string }[];
    };
    c2.close();
    expect(history.messages.map((m) => [m.role, m.content, m.stopReason])).toEqual([
      ['user', 'answer me', undefined],
      ['assistant', 'the real answer', 'stop'],
    ]);
  }, 30_000);

  it('counts nothing for a turn that is answered before a stop', async () => {
    const h = await setup();
    fake.enqueue({ type: 'reply', text: 'quick', usage: { input: 3, output: 2 } });
    const client = await connectedClient(h.url, h.token);
    await client.request('chat.send', { sessionKey: 'main', message: 'quick one', idempotencyKey: 'q-1' });
    await until(async () => (await opsOf(h, 'q-1')).includes('answer'), 'the answer');
    client.close();
    await h.gateway.stop('test stop');
    expect(await opsOf(h, 'q-1')).toEqual(['accept', 'start', 'answer']);
    expect(await recoveredFromCopy(h)).toEqual([]);
  }, 30_000);
});
