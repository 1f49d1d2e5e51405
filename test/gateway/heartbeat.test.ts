/**
 * Heartbeats through a real gateway: the fake model server counts model calls and a fake Telegram Bot
 * API shows what was delivered. Periodic beats use short intervals; on-demand beats use the `wake` method.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeModelConfig } from '../fakes/fake-model-config.js';
import { type FakeModelServer, startFakeModelServer } from '../fakes/fake-model-server.js';
import { FakeTelegram } from '../fakes/fake-telegram.js';
import { type Harness, startGateway } from '../helpers/gateway-harness.js';
import { connectedClient, type Frame, type TestClient } from '../helpers/ws-client.js';

const OWNER = { id: 4242, first_name: 'Owner' };

let fake: FakeModelServer;
let telegram: FakeTelegram | undefined;
const harnesses: Harness[] = [];
const clients: TestClient[] = [];

beforeEach(async () => {
  fake = await startFakeModelServer();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const h of harnesses.splice(0)) await h.cleanup();
  await telegram?.close();
  telegram = undefined;
  await fake.close();
});

interface Beat {
  status: string;
  reason?: string;
  preview?: string;
}

async function setup(
  heartbeat: Record<string, unknown>,
  opts: { telegram?: boolean; file?: string | null } = {},
) {
  if (opts.telegram) telegram = await FakeTelegram.start();
  const h = await startGateway({
    ...fakeModelConfig(fake, { modelIds: ['m', 'cheap'] }),
    heartbeat,
    ...(telegram
      ? {
          channels: {
            telegram: {
              accounts: {
                default: {
                  botToken: telegram.token,
                  apiRoot: telegram.apiRoot,
                  allowFrom: [String(OWNER.id)],
                },
              },
            },
          },
        }
      : {}),
  });
  harnesses.push(h);
  const file = join(h.stateDir, 'workspace', 'HEARTBEAT.md');
  if (opts.file === null) await rm(file, { force: true });
  else if (opts.file !== undefined) await writeFile(file, opts.file);
  const c = await connectedClient(h.url, h.token);
  clients.push(c);
  const beats = () => c.events('heartbeat').map((f: Frame) => f.payload as Beat);
  const nextBeat = async (): Promise<Beat> => {
    const n = beats().length;
    await c.waitFor(() => beats().length > n, 15_000);
    return beats()[n] as Beat;
  };
  return { h, c, beats, nextBeat };
}

const CHECKS = '# Heartbeat\n\n- If the oven timer is set, remind the owner.\n';

describe('heartbeats cost nothing when there is nothing to do', () => {
  for (const [what, file] of [
    ['the seeded (comment-only) HEARTBEAT.md', undefined],
    ['a missing HEARTBEAT.md', null],
    ['a HEARTBEAT.md of headings and empty items', '# Heartbeat\n\n## Daily\n- \n\n<!-- later -->\n'],
  ] as const) {
    it(`${what}: zero requests to the model`, async () => {
      const { c, beats } = await setup({ every: '200ms' }, { file });
      await c.waitFor(() => beats().length >= 3, 15_000);
      expect(beats().slice(0, 3)).toEqual([
        expect.objectContaining({ status: 'skipped', reason: 'empty-heartbeat-file' }),
        expect.objectContaining({ status: 'skipped', reason: 'empty-heartbeat-file' }),
        expect.objectContaining({ status: 'skipped', reason: 'empty-heartbeat-file' }),
      ]);
      expect(fake.requests).toEqual([]);
    });
  }

  it('outside the active hours periodic beats are skipped without a model call', async () => {
    const hour = new Date().getUTCHours();
    const at = (h: number) => `${String(h % 24).padStart(2, '0')}:00`;
    const activeHours = { start: at(hour + 2), end: at(hour + 3), timezone: 'UTC' };
    const { c, beats } = await setup({ every: '200ms', activeHours }, { file: CHECKS });
    await c.waitFor(() => beats().length >= 2, 15_000);
    expect(
      beats()
        .slice(0, 2)
        .map((b) => b.reason),
    ).toEqual(['quiet-hours', 'quiet-hours']);
    expect(fake.requests).toEqual([]);
  });
});

describe('heartbeat replies', () => {
  it('HEARTBEAT_OK is not delivered; anything else goes to the last channel the owner used', async () => {
    const { c, nextBeat } = await setup({ every: '0m' }, { telegram: true, file: CHECKS });
    const tg = telegram as FakeTelegram;
    fake.enqueue({ type: 'reply', text: 'Hi there.' });
    tg.userMessage({ from: OWNER, text: 'hello' });
    await tg.waitFor(() => tg.inChat(OWNER.id).length === 1, 'the reply to the DM');

    fake.enqueue({ type: 'reply', text: 'HEARTBEAT_OK' });
    const ok = nextBeat();
    expect((await c.request('wake', { mode: 'now', text: 'timer check' })).ok).toBe(true);
    expect(await ok).toMatchObject({ status: 'ok-token' });
    expect(fake.requests).toHaveLength(2);
    const beatRequest = JSON.stringify(fake.requests[1]?.body);
    expect(beatRequest).toContain('oven timer'); // HEARTBEAT.md is in the heartbeat's context
    expect(beatRequest).toContain('timer check');

    fake.enqueue({ type: 'reply', text: 'The oven timer went off 10 minutes ago.' });
    const sent = nextBeat();
    await c.request('wake', { mode: 'now', text: 'timer check' });
    expect(await sent).toMatchObject({ status: 'sent', preview: 'The oven timer went off 10 minutes ago.' });
    await tg.waitFor(() => tg.inChat(OWNER.id).length === 2, 'the heartbeat delivery');
    expect(tg.inChat(OWNER.id).map((m) => m.text)).toEqual([
      'Hi there.',
      'The oven timer went off 10 minutes ago.',
    ]);
  });

  it('the cheaper heartbeat model is used, and a daily budget pauses heartbeats and says so once', async () => {
    const target = { channel: 'telegram', to: String(OWNER.id) };
    const { c, nextBeat } = await setup(
      { every: '24h', model: 'fake/cheap', dailyTokenBudget: 100, target },
      { telegram: true, file: CHECKS },
    );
    const tg = telegram as FakeTelegram;
    fake.enqueue({ type: 'reply', text: 'Oven is on.', usage: { input: 90, output: 20 } });
    const first = nextBeat();
    await c.request('wake', { mode: 'now', text: 'timer check' });
    expect(await first).toMatchObject({ status: 'sent' });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.body.model).toBe('cheap');

    const paused = nextBeat();
    await c.request('wake', { mode: 'now', text: 'timer check again' });
    expect(await paused).toMatchObject({ status: 'skipped', reason: 'budget' });
    const again = nextBeat();
    await c.request('wake', { mode: 'now', text: 'and again' });
    expect(await again).toMatchObject({ status: 'skipped', reason: 'budget' });
    expect(fake.requests).toHaveLength(1);
    await tg.waitFor(() => tg.inChat(OWNER.id).length === 2, 'the pause notice');
    const shown = tg.inChat(OWNER.id).map((m) => m.text);
    expect(shown[0]).toBe('Oven is on.');
    expect(shown[1]).toMatch(/paused for today: they used 110 of their 100 daily tokens/);
  });
});
