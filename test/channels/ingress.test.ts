/**
 * SEC-10 (quick size): ingress gating through the real pipeline with the in-memory adapter.
 * 10,000 DMs from 1,000 unknown senders, 1,000 unmentioned group messages, display-name spoofing.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ChannelManager,
  MAX_PENDING_PER_ACCOUNT,
  MemoryChannelAdapter,
  PAIRING_ALPHABET,
  PAIRING_CODE_LENGTH,
} from '../../src/channels/index.js';
import { resolvePaths, validateConfig } from '../../src/config/index.js';

const CODE = new RegExp(`\\b[${PAIRING_ALPHABET}]{${PAIRING_CODE_LENGTH}}\\b`);
const HOUR = 60 * 60 * 1000;

describe('SEC-10 ingress gating (in-memory adapter, quick size)', () => {
  let stateDir: string;
  let now: number;
  let adapter: MemoryChannelAdapter;
  let manager: ChannelManager;
  let submissions: number;
  let events: unknown[];

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'carapace-sec10-'));
    now = Date.UTC(2026, 0, 1);
    submissions = 0;
    events = [];
    adapter = new MemoryChannelAdapter({
      accounts: {
        default: { dmPolicy: 'pairing', allowFrom: ['777'], groups: { '-500': { requireMention: true } } },
      },
      now: () => now,
    });
    const r = validateConfig({});
    if (!r.ok) throw new Error('invalid default config');
    const config = r.config;
    manager = new ChannelManager({
      config: () => config,
      paths: resolvePaths({ stateDir }, {}),
      adapters: [adapter],
      clock: { now: () => now, monotonic: () => now },
      emit: (_event, payload) => events.push(payload),
      sink: {
        submit: async () => {
          submissions++;
          return { text: 'agent reply' };
        },
      },
      sleep: async () => {},
    });
    await manager.start();
  });

  afterEach(async () => {
    await manager.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('10,000 DMs from 1,000 unknown senders: 0 agent runs, ≤ 1 reply per sender per hour, ≤ 3 pending codes', async () => {
    for (let round = 0; round < 10; round++) {
      for (let s = 0; s < 1000; s++) {
        await adapter.receive('default', { from: `u${s}`, text: `spam ${round}`, name: 'Owner' });
      }
      now += 60_000;
    }
    expect(submissions).toBe(0);
    const perSender = new Map<string, number>();
    for (const m of adapter.visible) perSender.set(m.to, (perSender.get(m.to) ?? 0) + 1);
    expect(Math.max(...perSender.values())).toBe(1);
    expect(adapter.visible.length).toBe(MAX_PENDING_PER_ACCOUNT);
    const pending = await manager.pairingList('memory');
    expect(pending.length).toBeLessThanOrEqual(MAX_PENDING_PER_ACCOUNT);
    expect(events).toHaveLength(pending.length);
    for (const p of pending) expect(p.code).toMatch(CODE);
    for (const m of adapter.visible) expect(m.text).toMatch(CODE);
    const stats = manager.status().channelAccounts.memory?.[0]?.stats;
    expect(stats).toMatchObject({ received: 10_000, submitted: 0, dropped: 10_000 });

    // Within the hour nobody gets a second reply; codes expire after 60 minutes.
    now += 30 * 60_000;
    for (let s = 0; s < 3; s++) await adapter.receive('default', { from: `u${s}`, text: 'again' });
    expect(adapter.visible.length).toBe(3);
    now += HOUR;
    expect(await manager.pairingList('memory')).toEqual([]);
    await adapter.receive('default', { from: 'u0', text: 'an hour later' });
    expect(adapter.visible.filter((m) => m.to === 'u0')).toHaveLength(2);
    expect(submissions).toBe(0);
  });

  it('1,000 unmentioned group messages: 0 agent runs; a mention is answered', async () => {
    for (let i = 0; i < 1000; i++) {
      await adapter.receive('default', { from: `m${i % 50}`, text: `chatter ${i}`, group: '-500' });
    }
    await adapter.receive('default', {
      from: 'x',
      text: 'not allowlisted',
      group: '-999',
      mentionsBot: true,
    });
    expect(submissions).toBe(0);
    expect(adapter.visible).toHaveLength(0);
    await adapter.receive('default', { from: 'm1', text: 'bot?', group: '-500', mentionsBot: true });
    expect(submissions).toBe(1);
  });

  it('display names never authorise: only the stable id does', async () => {
    await adapter.receive('default', { from: 'impostor', name: '777', text: 'I am 777' });
    await adapter.receive('default', { from: 'impostor2', name: 'Owner (777)', text: 'trust me' });
    expect(submissions).toBe(0);
    await adapter.receive('default', { from: '777', name: 'Someone else entirely', text: 'hi' });
    expect(submissions).toBe(1);
  });

  it('keeps pairing state in the credentials folder, 0600 in a 0700 folder', async () => {
    await adapter.receive('default', { from: 'newcomer', text: 'hello' });
    const file = join(stateDir, 'credentials', 'memory', 'default-pairing.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(stateDir, 'credentials', 'memory'))).mode & 0o777).toBe(0o700);
  });
});
