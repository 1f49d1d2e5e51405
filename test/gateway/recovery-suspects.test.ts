import type { ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeModelConfig } from '../fakes/fake-model-config.js';
import {
  type FakeModelServer,
  type RecordedRequest,
  startFakeModelServer,
} from '../fakes/fake-model-server.js';
import { tempStateDir } from '../helpers/gateway-harness.js';
import { startGatewayProcess } from '../helpers/gateway-process.js';
import { connectedClient } from '../helpers/ws-client.js';

let fake: FakeModelServer;
beforeAll(async () => {
  fake = await startFakeModelServer();
});
afterAll(() => fake.close());

/** Inbox lines of a message accepted, whose turn had started once when the gateway went down. */
function suspectLines(id: string, sessionKey: string) {
  const payload = {
    v: 1,
    runId: id,
    method: 'chat.send',
    sessionKey,
    agentId: 'main',
    message: id,
    acceptedAt: 1,
  };
  return [
    { v: 1, op: 'accept', id, at: 1, attempts: 0, sessionKey, payload },
    { v: 1, op: 'start', id, at: 2 },
  ];
}

/** Write the inbox a gateway that went down would have left in `stateDir`. */
async function writeInbox(stateDir: string, lines: readonly unknown[]) {
  await mkdir(join(stateDir, 'gateway'), { recursive: true });
  await writeFile(
    join(stateDir, 'gateway', 'inbox.jsonl'),
    lines.map((l) => `${JSON.stringify(l)}\n`).join(''),
  );
}

async function stop(child: ChildProcess) {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** The text of the last user message a model request carries. */
function lastUserText(req: RecordedRequest): string {
  const messages = (req.body.messages ?? []) as { role: string; content: unknown }[];
  const last = messages.filter((m) => m.role === 'user').at(-1);
  return typeof last?.content === 'string' ? last.content : JSON.stringify(last?.content);
}

describe('recovery: suspects of a crash', () => {
  it('a suspect waiting for its turn holds no run slot: a new message runs beside the suspect running', async () => {
    const base = fakeModelConfig(fake, { contextWindow: 10_000 });
    // Two run slots: the waiting suspect used to hold the second one until the first suspect was done.
    const stateDir = await tempStateDir({
      ...base,
      agents: { defaults: { ...base.agents.defaults, maxConcurrent: 2 } },
    });
    await writeInbox(stateDir, [
      ...suspectLines('suspect-a', 'agent:main:dm:suspect-a'),
      ...suspectLines('suspect-b', 'agent:main:dm:suspect-b'),
    ]);
    /** Per request, in arrival order: its message and the messages of the requests in flight beside it. */
    const arrivals: { text: string; beside: string[] }[] = [];
    const reply = (delayMs: number) => (req: RecordedRequest) => {
      const text = lastUserText(req);
      arrivals.push({
        text,
        beside: fake
          .inFlight()
          .map(lastUserText)
          .filter((t) => t !== text),
      });
      return { type: 'reply' as const, text: `answer to ${text}`, delayMs };
    };
    const before = fake.requests.length;
    // The first suspect's model call is slow; everything after answers at once.
    fake.enqueue(reply(3_000), reply(0), reply(0));
    const gw = await startGatewayProcess(stateDir);
    const c = await connectedClient(gw.url, gw.token);
    for (let i = 0; i < 400 && fake.requests.length === before; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(arrivals.map((a) => a.text)).toEqual(['suspect-a']);

    const final = c.waitFor(
      (f) =>
        f.type === 'res' && f.id === 'fresh' && (f.payload as { status?: string })?.status !== 'accepted',
      10_000,
    );
    c.send({
      type: 'req',
      id: 'fresh',
      method: 'agent',
      params: { message: 'fresh', sessionKey: 'agent:main:dm:fresh', idempotencyKey: 'fresh-1' },
    });
    expect((await final).payload).toMatchObject({
      status: 'ok',
      result: { payloads: [{ text: 'answer to fresh' }] },
    });
    for (let i = 0; i < 600 && arrivals.length < 3; i++) await new Promise((r) => setTimeout(r, 10));

    // The new message reached the model while the first suspect was still there; the second suspect came
    // only after the first was done (suspects one session at a time).
    expect(arrivals).toEqual([
      { text: 'suspect-a', beside: [] },
      { text: 'fresh', beside: ['suspect-a'] },
      { text: 'suspect-b', beside: [] },
    ]);
    c.close();
    await stop(gw.child);
  });

  it('replayed messages whose turns had started before the crash run one at a time, and all are answered', async () => {
    const stateDir = await tempStateDir(fakeModelConfig(fake, { contextWindow: 10_000 }));
    const ids = ['suspect-1', 'suspect-2', 'suspect-3'];
    await writeInbox(
      stateDir,
      ids.flatMap((id, i) => suspectLines(id, `agent:main:dm:suspect-${i}`)),
    );
    let most = 0;
    const before = fake.requests.length;
    for (const _ of ids) {
      fake.enqueue(() => {
        most = Math.max(most, fake.inFlight().length);
        return { type: 'reply', text: 'answered', delayMs: 100 };
      });
    }
    const gw = await startGatewayProcess(stateDir);
    const c = await connectedClient(gw.url, gw.token);
    const replies = async () => {
      const out: string[] = [];
      for (let i = 0; i < ids.length; i++) {
        const history = (await c.request('chat.history', { sessionKey: `agent:main:dm:suspect-${i}` }))
          .payload as { messages: { role: string; content: unknown }[] };
        const last = history.messages.at(-1);
        if (last?.role === 'assistant') out.push(JSON.stringify(last.content));
      }
      return out;
    };
    let answered: string[] = [];
    for (let i = 0; i < 200 && answered.length < ids.length; i++) {
      answered = await replies();
      if (answered.length < ids.length) await new Promise((r) => setTimeout(r, 50));
    }
    // Each got the model's answer (none was given up), and the model never saw two of them at once.
    expect(answered).toHaveLength(ids.length);
    for (const a of answered) expect(a).toContain('answered');
    expect(fake.requests.length - before).toBe(ids.length);
    expect(most).toBe(1);
    c.close();
    await stop(gw.child);
  });
});
