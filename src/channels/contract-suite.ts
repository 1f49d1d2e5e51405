/**
 * The shared channel contract suite: every adapter (the in-memory one, Telegram against its fake API,
 * later Discord and Slack) runs these same tests through a real ChannelManager and pipeline. Import it
 * only from tests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Config, resolvePaths } from '../config/index.js';
import { createEnvelopeValidator, type InboundEnvelope } from '../routing/index.js';
import type { ChannelAdapter, ChannelPolicy } from './contract.js';
import { ChannelManager } from './manager.js';

/** What a platform shows: one visible message, with its text as a person reads it. */
export interface VisibleText {
  to: string;
  text: string;
  messageId: string;
  replyTo?: string;
}

/** One platform under test. Ids are numeric strings so every platform accepts them. */
export interface ContractPlatform {
  adapter: ChannelAdapter;
  accountId: string;
  config: Config;
  setPolicy(policy: Partial<ChannelPolicy>): void;
  /** Post a DM; resolves once the platform has it (handling is asynchronous). Returns its message id. */
  dm(from: { id: string; name?: string }, text: string, opts?: { messageId?: string }): Promise<string>;
  group(
    groupId: string,
    from: { id: string; name?: string },
    text: string,
    opts?: { mention?: boolean; messageId?: string },
  ): Promise<string>;
  visible(): VisibleText[];
  typingCount(): number;
  close(): Promise<void>;
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const CODE = /\b[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{8}\b/;

/** Register the contract tests for one platform. `make` is called before each test. */
export function channelContractSuite(name: string, make: () => Promise<ContractPlatform>): void {
  describe(`channel contract: ${name}`, () => {
    let platform: ContractPlatform;
    let manager: ChannelManager;
    let stateDir: string;
    let submissions: { envelope: InboundEnvelope; sessionKey: string; key: string }[];
    let events: { event: string; payload: Record<string, unknown> }[];
    let reply: (env: InboundEnvelope) => Promise<string>;

    const stats = () => manager.status().channelAccounts[platform.adapter.channel]?.[0]?.stats;
    const handled = () => stats()?.handled ?? 0;

    beforeEach(async () => {
      stateDir = await mkdtemp(join(tmpdir(), 'carapace-channels-'));
      platform = await make();
      submissions = [];
      events = [];
      reply = async (env) => `echo: ${env.text}`;
      manager = new ChannelManager({
        config: () => platform.config,
        paths: resolvePaths({ stateDir }, {}),
        adapters: [platform.adapter],
        emit: (event, payload) => events.push({ event, payload: payload as Record<string, unknown> }),
        sink: {
          submit: async (envelope, route, key) => {
            submissions.push({ envelope, sessionKey: route.sessionKey, key });
            return { text: await reply(envelope) };
          },
        },
        sleep: async () => {},
      });
      await manager.start();
      await until(
        () => manager.status().channelAccounts[platform.adapter.channel]?.[0]?.connected === true,
        'connected',
      );
    });

    afterEach(async () => {
      await manager.stop();
      await platform.close();
      await rm(stateDir, { recursive: true, force: true });
    });

    it('reports the account connected, and not running after stop', async () => {
      const account = manager.status().channelAccounts[platform.adapter.channel]?.[0];
      expect(account).toMatchObject({ accountId: platform.accountId, running: true, connected: true });
      await manager.stop();
      expect(manager.status().channelAccounts[platform.adapter.channel]?.[0]?.running).toBe(false);
    });

    it('gives an unknown DM sender one pairing code and never reaches the agent', async () => {
      platform.setPolicy({ dmPolicy: 'pairing' });
      await platform.dm({ id: '5001', name: 'Stranger' }, 'hello?');
      await platform.dm({ id: '5001', name: 'Stranger' }, 'anyone there?');
      await until(() => handled() === 2, 'two DMs handled');
      const toSender = platform.visible().filter((m) => m.to === '5001');
      expect(toSender).toHaveLength(1);
      const code = CODE.exec(toSender[0]?.text ?? '')?.[0];
      expect(code).toBeDefined();
      expect(submissions).toHaveLength(0);
      expect(events).toEqual([
        { event: 'pairing.requested', payload: expect.objectContaining({ code, senderId: '5001' }) },
      ]);
      expect((await manager.pairingList(platform.adapter.channel)).map((p) => p.code)).toEqual([code]);
    });

    it('after approval, DMs reach the agent as valid envelopes and long replies come back chunked', async () => {
      platform.setPolicy({ dmPolicy: 'pairing' });
      await platform.dm({ id: '5002' }, 'hi');
      await until(() => platform.visible().length === 1, 'pairing reply');
      const code = CODE.exec(platform.visible()[0]?.text ?? '')?.[0] ?? '';
      const approved = await manager.pairingApprove({
        channel: platform.adapter.channel,
        code: code.toLowerCase(),
      });
      expect(approved).toMatchObject({ senderId: '5002', accountId: platform.accountId });
      await until(() => platform.visible().length === 2, 'approval notice');
      const limit = platform.adapter.capabilities.textLimit;
      const long = Array.from({ length: Math.ceil((limit * 2.5) / 6) }, (_, i) => `word${i % 10}`).join(' ');
      reply = async () => long;
      await platform.dm({ id: '5002' }, 'tell me everything');
      await until(() => submissions.length === 1, 'submission');
      const envelope = createEnvelopeValidator()(submissions[0]?.envelope);
      expect(envelope).toMatchObject({
        channel: platform.adapter.channel,
        accountId: platform.accountId,
        peer: { kind: 'dm', id: '5002' },
        sender: { id: '5002' },
        text: 'tell me everything',
      });
      await until(
        () =>
          platform
            .visible()
            .map((m) => m.text)
            .join(' ')
            .includes('word9') && platform.visible().length >= 5,
        'chunked reply',
      );
      const chunks = platform.visible().slice(2);
      expect(chunks.length).toBeGreaterThanOrEqual(3);
      for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(limit);
      expect(chunks.map((c) => c.text).join(' ')).toBe(long);
    });

    it('handles a redelivered platform message once', async () => {
      platform.setPolicy({ dmPolicy: 'allowlist', allowFrom: ['5003'] });
      const id = await platform.dm({ id: '5003' }, 'once');
      await platform.dm({ id: '5003' }, 'once', { messageId: id });
      await until(() => handled() === 2, 'both deliveries handled');
      await until(() => platform.visible().length === 1, 'reply');
      expect(submissions).toHaveLength(1);
      expect(stats()?.duplicates).toBe(1);
    });

    it('ignores unmentioned group messages and answers a mention in thread, with the history as context', async () => {
      platform.setPolicy({ groups: { '*': { requireMention: true } } });
      await platform.group('-1007', { id: '5004', name: 'Ann' }, 'lunch at noon?');
      await until(() => handled() === 1, 'group message handled');
      expect(submissions).toHaveLength(0);
      const asked = await platform.group('-1007', { id: '5005', name: 'Bob' }, 'what do you think?', {
        mention: true,
      });
      await until(() => platform.visible().length === 1, 'group reply');
      expect(submissions).toHaveLength(1);
      expect(submissions[0]?.envelope.text).toContain('lunch at noon?');
      expect(submissions[0]?.envelope.peer).toEqual({ kind: 'group', id: '-1007' });
      const answer = platform.visible()[0];
      expect(answer?.to).toBe('-1007');
      if (platform.adapter.capabilities.replyThreading) expect(answer?.replyTo).toBe(asked);
    });

    it('ignores groups that are not allowlisted, and display names never authorise', async () => {
      platform.setPolicy({ dmPolicy: 'allowlist', allowFrom: ['5006'], groups: {} });
      await platform.group('-1008', { id: '5006' }, 'hey', { mention: true });
      await platform.dm({ id: '5999', name: '5006' }, 'I am 5006, honest');
      await until(() => handled() === 2, 'both handled');
      expect(submissions).toHaveLength(0);
      expect(platform.visible()).toHaveLength(0);
    });

    it('shows a typing indicator while the turn runs', async () => {
      if (!platform.adapter.capabilities.typing) return;
      platform.setPolicy({ dmPolicy: 'open' });
      reply = async () => {
        await until(() => platform.typingCount() > 0, 'typing indicator');
        return 'done';
      };
      await platform.dm({ id: '5007' }, 'think hard');
      await until(() => platform.visible().length === 1, 'reply');
      expect(platform.typingCount()).toBeGreaterThan(0);
      expect(platform.visible()[0]?.text).toBe('done');
    });

    it('send() delivers to the platform once per idempotency key and returns its message id', async () => {
      const req = { channel: platform.adapter.channel, to: '5008', text: 'a note', idempotencyKey: 'k-1' };
      const first = await manager.send(req);
      const again = await manager.send(req);
      expect(again).toEqual(first);
      const shown = platform.visible().filter((m) => m.to === '5008');
      expect(shown).toEqual([expect.objectContaining({ text: 'a note', messageId: first.messageId })]);
    });
  });
}
