/**
 * A Telegram message whose turn is cut off by SIGKILL (the model call is in flight) is replayed from the
 * inbox on the next start, and its reply still reaches the sender — once. Before replies were queued with
 * the message, the replayed answer went to the transcript only.
 */
import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeModelServer,
  type RecordedRequest,
  startFakeModelServer,
} from '../fakes/fake-model-server.js';
import { FakeTelegram } from '../fakes/fake-telegram.js';
import { tempStateDir } from '../helpers/gateway-harness.js';
import { GatewayProcesses, lastUser, telegramPipelineConfig, until } from './support.js';

const ALICE = { id: 52001, first_name: 'Alice' };
let model: FakeModelServer;
let telegram: FakeTelegram;
let stateDir: string;
const gateways = new GatewayProcesses(() => stateDir);

beforeAll(async () => {
  model = await startFakeModelServer();
  telegram = await FakeTelegram.start();
  stateDir = await tempStateDir(
    telegramPipelineConfig({
      modelBaseUrl: model.baseUrl,
      apiKey: 'sk-replay',
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

describe('reliability: a channel turn cut off by SIGKILL', () => {
  it('is answered to the sender after the restart, exactly once', async () => {
    model.enqueue({ type: 'stall' });
    const first = await start();
    telegram.userMessage({ from: ALICE, text: 'are you there?' });
    await until(() => model.requests.some((r) => lastUser(r).includes('are you there?')), 'the model call');
    await kill(first);
    expect(telegram.inChat(ALICE.id)).toEqual([]);

    model.enqueue((req: RecordedRequest) => ({
      type: 'reply',
      text: `yes, about: ${lastUser(req).slice(-20)}`,
    }));
    const second = await start();
    try {
      await until(() => telegram.inChat(ALICE.id).length > 0, 'the reply to reach Alice');
      // Give a second copy the chance to show up before counting.
      await new Promise((r) => setTimeout(r, 1000));
      const shown = telegram.inChat(ALICE.id).map((m) => m.text);
      expect(shown).toHaveLength(1);
      expect(shown[0]).toContain('are you there?');
    } finally {
      await kill(second);
    }
  }, 120_000);
});
