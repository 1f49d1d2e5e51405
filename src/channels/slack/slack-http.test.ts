import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeSlack, signEventRequest } from '../../../test/fakes/fake-slack.js';
import { resolvePaths, validateConfig } from '../../config/index.js';
import type { InboundEnvelope } from '../../routing/index.js';
import { systemClock } from '../../shared/index.js';
import { ChannelManager } from '../manager.js';
import type { SlackAdapter } from './adapter.js';

const SECRET = 'fake-signing-secret-8f3a1c';
const ALICE = { id: 'U0ALICE01' };

describe('slack Events API over HTTP (Bolt HTTPReceiver, signed requests)', { timeout: 20_000 }, () => {
  let fake: FakeSlack;
  let stateDir: string;
  let manager: ChannelManager;
  let endpoint: string;
  let submissions: InboundEnvelope[];

  const received = () => manager.status().channelAccounts.slack?.[0]?.stats?.received ?? 0;

  async function post(
    body: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; text: string }> {
    const res = await fetch(endpoint, { method: 'POST', headers, body });
    return { status: res.status, text: await res.text() };
  }

  beforeEach(async () => {
    fake = await FakeSlack.start();
    stateDir = await mkdtemp(join(tmpdir(), 'carapace-slack-http-'));
    submissions = [];
    const r = validateConfig({
      channels: {
        slack: {
          accounts: {
            default: {
              mode: 'http',
              botToken: fake.botToken,
              signingSecret: SECRET,
              apiUrl: fake.apiUrl,
              http: { host: '127.0.0.1', port: 0, path: '/slack/events' },
              dmPolicy: 'open',
            },
          },
        },
      },
    });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    const config = r.config;
    manager = new ChannelManager({
      config: () => config,
      paths: resolvePaths({ stateDir }, {}),
      clock: systemClock,
      emit: () => {},
      sink: {
        submit: async (envelope) => {
          submissions.push(envelope);
          return { text: `echo: ${envelope.text}` };
        },
      },
      sleep: async () => {},
    });
    await manager.start();
    const adapter = manager.adapter('slack') as SlackAdapter;
    await fake.waitFor(() => adapter.endpoint('default') !== undefined, 'endpoint listening');
    endpoint = adapter.endpoint('default') ?? '';
  });

  afterEach(async () => {
    await manager.stop();
    await fake.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('listens on the configured path, reports connected, and answers the URL verification challenge', async () => {
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/slack\/events$/);
    expect(manager.status().channelAccounts.slack?.[0]).toMatchObject({ connected: true, running: true });
    const body = JSON.stringify({ token: 'x', challenge: 'challenge-42', type: 'url_verification' });
    const res = await post(body, signEventRequest(SECRET, body, Math.floor(Date.now() / 1000)));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ challenge: 'challenge-42' });
  });

  it('accepts a correctly signed event: the DM reaches the agent and the reply is posted', async () => {
    const ts = '1700000000.000100';
    const event = fake.messageEvent({
      channel: `D${ALICE.id}`,
      channelType: 'im',
      user: ALICE.id,
      text: 'hi over http',
      ts,
    });
    const body = JSON.stringify(fake.eventCallback(event));
    const res = await post(body, signEventRequest(SECRET, body, Math.floor(Date.now() / 1000)));
    expect(res.status).toBe(200);
    await fake.waitFor(() => fake.inChannel(ALICE.id).length === 1, 'reply');
    expect(submissions).toEqual([
      expect.objectContaining({
        peer: { kind: 'dm', id: ALICE.id },
        text: 'hi over http',
        messageId: ts,
        teamId: fake.team.id,
      }),
    ]);
    expect(fake.inChannel(ALICE.id)[0]?.text).toBe('echo: hi over http');
  });

  it('refuses a bad signature, a stale timestamp and a missing signature with 401, and nothing is handled', async () => {
    const event = fake.messageEvent({
      channel: `D${ALICE.id}`,
      channelType: 'im',
      user: ALICE.id,
      text: 'forged',
      ts: '1700000000.000200',
    });
    const body = JSON.stringify(fake.eventCallback(event));
    const now = Math.floor(Date.now() / 1000);
    const wrongSecret = await post(body, signEventRequest('not-the-secret', body, now));
    const tampered = await post(body.replace('forged', 'FORGED'), signEventRequest(SECRET, body, now));
    const stale = await post(body, signEventRequest(SECRET, body, now - 6 * 60));
    const unsigned = await post(body, { 'content-type': 'application/json' });
    expect([wrongSecret.status, tampered.status, stale.status, unsigned.status]).toEqual([
      401, 401, 401, 401,
    ]);
    // A correct request afterwards still works, so the refusals were not an outage.
    const good = JSON.stringify(fake.eventCallback({ ...event, text: 'genuine', ts: '1700000000.000300' }));
    expect((await post(good, signEventRequest(SECRET, good, now))).status).toBe(200);
    await fake.waitFor(() => fake.inChannel(ALICE.id).length === 1, 'reply to the genuine one');
    expect(received()).toBe(1);
    expect(submissions.map((s) => s.text)).toEqual(['genuine']);
  });
});
