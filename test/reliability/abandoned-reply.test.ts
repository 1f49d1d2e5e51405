/**
 * A poison message from a channel, for real: a Telegram message whose turn takes the gateway down every
 * time it runs (the fake model holds that request open and the test SIGKILLs the gateway meanwhile) is
 * given up after three crashed turns: its sender is told so, once, through the outbound queue — also when
 * the gateway is killed again right after, before or after the inbox counted it answered — and the next
 * message is served normally. A graceful stop (SIGTERM) in the middle of that turn does not count.
 */
import type { ChildProcess } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTranscript, type MessageEntry } from '../../src/sessions/index.js';
import {
  type FakeModelServer,
  type RecordedRequest,
  startFakeModelServer,
} from '../fakes/fake-model-server.js';
import { FakeTelegram } from '../fakes/fake-telegram.js';
import { tempStateDir } from '../helpers/gateway-harness.js';
import { GatewayProcesses, lastUser, telegramPipelineConfig, until } from './support.js';

const ALICE = { id: 53001, first_name: 'Alice' };
const TEXT = 'please summarise the poison file';
let model: FakeModelServer;
let telegram: FakeTelegram;
let stateDir: string;
const gateways = new GatewayProcesses(() => stateDir);

beforeAll(async () => {
  model = await startFakeModelServer();
  // The poison message's turn never gets an answer (the test kills the gateway meanwhile); others do.
  const step = (req: RecordedRequest) =>
    lastUser(req).includes(TEXT)
      ? ({ type: 'stall' } as const)
      : { type: 'reply' as const, text: `answer to ${lastUser(req)}`, usage: { input: 5, output: 3 } };
  model.enqueue(...Array.from({ length: 100 }, () => step));
  telegram = await FakeTelegram.start();
  stateDir = await tempStateDir(
    telegramPipelineConfig({
      modelBaseUrl: model.baseUrl,
      apiKey: 'sk-abandon',
      botToken: telegram.token,
      apiRoot: telegram.apiRoot,
      allowFrom: [ALICE.id],
    }),
  );
}, 60_000);

afterAll(async () => {
  gateways.killAll();
  await telegram?.close();
  await model?.close();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

const start = async (): Promise<ChildProcess> => (await gateways.start()).child;

const kill = (child: ChildProcess) => gateways.kill(child);

const modelCalls = () => model.requests.filter((r) => lastUser(r).includes(TEXT)).length;
const apologies = () => shown().filter((t) => t.includes('could not be answered'));
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

/** Every transcript of the main agent, parsed. */
async function transcripts() {
  const dir = join(stateDir, 'agents', 'main', 'sessions');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.jsonl'));
  return Promise.all(files.map((f) => loadTranscript(join(dir, f))));
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

/** The inbox's count of crashed turns per open id: accept `attempts` + start lines − interrupted lines. */
async function inboxAttempts(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const text = await readFile(inboxFile(), 'utf8').catch(() => '');
  for (const line of text.split('\n').filter((l) => l.trim())) {
    const r = JSON.parse(line) as { op: string; id: string; attempts?: number };
    const n = counts.get(r.id) ?? 0;
    if (r.op === 'accept') counts.set(r.id, r.attempts ?? 0);
    else if (r.op === 'start') counts.set(r.id, n + 1);
    else if (r.op === 'interrupted') counts.set(r.id, n - 1);
    else if (r.op === 'answer') counts.delete(r.id);
  }
  return counts;
}

/** SIGTERM: the gateway drains (the stalled turn is aborted after the drain) and exits by itself. */
const terminate = (child: ChildProcess) => gateways.kill(child, 'SIGTERM');

describe('reliability: a channel message whose turn crashes the gateway every time it runs', () => {
  it('is given up after three crashed turns, not a graceful stop; its sender gets one apology, also across restarts right after, and the next message is answered', async () => {
    telegram.userMessage({ from: ALICE, text: TEXT });
    // Crash 1 and 2: the turn is in the model call when the gateway is killed.
    for (let crash = 1; crash <= 2; crash++) {
      const child = await start();
      await until(() => modelCalls() === crash, `model call ${crash}`);
      await kill(child);
    }
    const [id] = [...(await inboxAttempts()).keys()];
    expect(await inboxAttempts()).toEqual(new Map([[id, 2]]));
    // A graceful stop in the middle of the same turn: cut short, not counted.
    let child = await start();
    await until(() => modelCalls() === 3, 'model call 3');
    await terminate(child);
    expect(child.exitCode).toBe(0);
    expect(await readFile(inboxFile(), 'utf8')).toContain('"op":"interrupted"');
    expect(await inboxAttempts()).toEqual(new Map([[id, 2]]));
    // Crash 3.
    child = await start();
    await until(() => modelCalls() === 4, 'model call 4');
    await kill(child);
    expect(shown()).toEqual([]);
    expect(await inboxAttempts()).toEqual(new Map([[id, 3]]));
    const poisoned = await readFile(inboxFile(), 'utf8');

    // The next start gives up on it instead of running it again, and tells Alice.
    child = await start();
    await until(() => shown().length > 0, 'the apology to reach Alice');
    await until(async () => (await sentChunks()).length > 0, 'the apology to be recorded sent');
    await settle();
    expect(shown()).toHaveLength(1);
    expect(shown()[0]).toContain('could not be answered');
    expect(shown()[0]).toContain('stopped 3 times');
    expect(modelCalls()).toBe(4);
    expect(await givenUp()).toBe(1);
    // And serves the next message normally.
    telegram.userMessage({ from: ALICE, text: 'and now something easy' });
    await until(() => shown().length === 2, 'the answer to the next message');
    expect(shown()[1]).toContain('answer to and now something easy');
    expect(await inboxAttempts()).toEqual(new Map());

    // Killed right after: the next start neither runs the message nor repeats the apology.
    await kill(child);
    child = await start();
    await settle();
    expect(apologies()).toHaveLength(1);
    expect(shown()).toHaveLength(2);
    expect(modelCalls()).toBe(4);
    expect(await givenUp()).toBe(1);
    await kill(child);

    // Killed before the inbox counted it answered (its answer line lost): given up again, and the
    // outbound queue, which already holds the apology under the message's reply key, sends nothing more.
    await writeFile(inboxFile(), poisoned);
    child = await start();
    await settle();
    expect(apologies()).toHaveLength(1);
    expect(shown()).toHaveLength(2);
    expect(modelCalls()).toBe(4);
    expect(await givenUp()).toBe(2);
    expect(await sentChunks()).toHaveLength(2);
    await kill(child);
    // The transcript holds the poison message once and, of final replies, one apology for it, whatever was
    // replayed (the turn the graceful stop cut short is recorded 'aborted', not final).
    const entries = (await transcripts())
      .flatMap((t) => t.entries)
      .filter((e): e is MessageEntry => e.type === 'message');
    const users = entries.filter((e) => e.role === 'user');
    const poisonRun = users.find((e) => JSON.stringify(e).includes(TEXT))?.runId;
    expect(users.filter((e) => e.runId === poisonRun)).toHaveLength(1);
    const replies = entries.filter(
      (e) =>
        e.role === 'assistant' &&
        e.runId === poisonRun &&
        (e.stopReason === 'stop' || e.stopReason === 'error'),
    );
    expect(replies.map((e) => [e.stopReason, JSON.stringify(e).includes('could not be answered')])).toEqual([
      ['error', true],
    ]);
  }, 240_000);
});
