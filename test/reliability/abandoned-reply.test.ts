/**
 * A poison message from a channel: a Telegram message whose turn has started (and been cut off) three
 * times is given up on the next start, and its sender is told so, once, through the outbound queue —
 * also when the gateway is killed again right after, before or after the inbox counted it answered.
 * Before, the apology went to the transcript and the event stream only.
 *
 * The message is made poisonous for real up to the inbox: accepted from the fake Telegram, its turn cut
 * off by SIGKILL during the model call; then turn starts (`{v, op:'start', id, at}`) are added to the
 * inbox file until it counts three, as three crashed turns leave it.
 */
import type { ChildProcess } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeModelServer, startFakeModelServer } from '../fakes/fake-model-server.js';
import { FakeTelegram } from '../fakes/fake-telegram.js';
import { tempStateDir } from '../helpers/gateway-harness.js';
import { startGatewayProcess } from '../helpers/gateway-process.js';
import { lastUser, until } from './support.js';

const ALICE = { id: 53001, first_name: 'Alice' };
const TEXT = 'please summarise the poison file';
let model: FakeModelServer;
let telegram: FakeTelegram;
let stateDir: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  model = await startFakeModelServer();
  telegram = await FakeTelegram.start();
  stateDir = await tempStateDir({
    models: {
      providers: {
        fake: {
          baseUrl: model.baseUrl,
          api: 'openai-chat',
          apiKey: 'sk-abandon',
          models: [{ id: 'm', contextWindow: 100_000, maxTokens: 100 }],
        },
      },
      retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 10 },
    },
    agents: { defaults: { model: 'fake/m' } },
    session: { reset: { mode: 'off' } },
    heartbeat: { every: '0m' },
    channels: {
      telegram: {
        accounts: {
          default: {
            botToken: telegram.token,
            apiRoot: telegram.apiRoot,
            dmPolicy: 'allowlist',
            allowFrom: [String(ALICE.id)],
          },
        },
      },
    },
  });
}, 60_000);

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await telegram?.close();
  await model?.close();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

async function start(): Promise<ChildProcess> {
  const { child } = await startGatewayProcess(stateDir);
  children.add(child);
  return child;
}

function kill(child: ChildProcess): Promise<void> {
  children.delete(child);
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

const modelCalls = () => model.requests.filter((r) => lastUser(r).includes(TEXT)).length;
const shown = () => telegram.inChat(ALICE.id).map((m) => m.text);
const inboxFile = () => join(stateDir, 'gateway', 'inbox.jsonl');
const outboxFile = () => join(stateDir, 'channels', 'telegram', 'default', 'outbound.jsonl');

/** The outbound queue's records of chunks sent, by chunk id. */
async function sentChunks(): Promise<string[]> {
  const text = await readFile(outboxFile(), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { t: string; id?: string })
    .filter((r) => r.t === 'sent')
    .map((r) => r.id ?? '');
}

/** How often the gateway logs recorded giving up on a message. */
async function givenUp(): Promise<number> {
  const dir = join(stateDir, 'logs');
  let n = 0;
  for (const f of await readdir(dir).catch(() => [] as string[])) {
    const text = await readFile(join(dir, f), 'utf8');
    n += text.split('\n').filter((l) => l.includes('giving up on a message')).length;
  }
  return n;
}

/** Let a restarted gateway settle (resume its outbound queue, poll Telegram) before counting. */
async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 1500));
}

describe('reliability: a channel message whose turn crashed three times', () => {
  it('is given up and its sender gets one apology, also across restarts right after', async () => {
    // Accepted, its turn started, the model call in flight: killed.
    model.enqueue({ type: 'stall' });
    telegram.userMessage({ from: ALICE, text: TEXT });
    const first = await start();
    await until(() => modelCalls() === 1, 'the model call');
    await kill(first);
    expect(shown()).toEqual([]);
    // As three crashed turns leave it: the inbox holds three starts of the open message.
    const inbox = await readFile(inboxFile(), 'utf8');
    const accepted = inbox
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { op: string; id: string })
      .filter((r) => r.op === 'accept');
    expect(accepted).toHaveLength(1);
    const id = accepted[0]!.id;
    const starts = (inbox.match(/"op":"start"/g) ?? []).length;
    const more = Array.from({ length: 3 - starts }, (_, i) => ({
      v: 1,
      op: 'start',
      id,
      at: Date.now() + i,
    }));
    await writeFile(inboxFile(), inbox + more.map((l) => `${JSON.stringify(l)}\n`).join(''));
    const poisoned = await readFile(inboxFile(), 'utf8');
    expect((poisoned.match(/"op":"start"/g) ?? []).length).toBe(3);

    // The next start gives up on it instead of running it again, and tells Alice.
    let child = await start();
    await until(() => shown().length > 0, 'the apology to reach Alice');
    await until(async () => (await sentChunks()).length > 0, 'the apology to be recorded sent');
    await settle();
    expect(shown()).toHaveLength(1);
    expect(shown()[0]).toContain('could not be answered');
    expect(shown()[0]).toContain('stopped 3 times');
    expect(modelCalls()).toBe(1);
    expect(await givenUp()).toBe(1);

    // Killed right after: the next start neither runs the message nor repeats the apology.
    await kill(child);
    child = await start();
    await settle();
    expect(shown()).toHaveLength(1);
    expect(modelCalls()).toBe(1);
    expect(await givenUp()).toBe(1);
    await kill(child);

    // Killed before the inbox counted it answered (its answer line lost): given up again, and the
    // outbound queue, which already holds the apology under the message's reply key, sends nothing more.
    await writeFile(inboxFile(), poisoned);
    child = await start();
    await settle();
    expect(shown()).toHaveLength(1);
    expect(modelCalls()).toBe(1);
    expect(await givenUp()).toBe(2);
    expect(await sentChunks()).toHaveLength(1);
    await kill(child);
  }, 180_000);
});
