import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BufferJSON } from 'baileys';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateConfig, type WhatsAppConfig } from '../../config/index.js';
import type { InboundEnvelope } from '../../routing/index.js';
import { systemClock } from '../../shared/index.js';
import { sendOutcomeOf } from '../contract.js';
import { silentLogger } from '../ports.js';
import { WhatsAppAdapter } from './adapter.js';
import { whatsappAuthDir } from './auth.js';
import { boom, dmMessage, fakeSocketFactory, groupMessage, linkDevice, SELF, until } from './test-support.js';

function whatsappConfig(accounts: Record<string, unknown>): WhatsAppConfig {
  const r = validateConfig({ channels: { whatsapp: { accounts } } });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.config.channels.whatsapp;
}

/** A sleep that waits until the test releases it (or the account stops). */
function heldSleep() {
  const calls: { ms: number; release: () => void }[] = [];
  const sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      calls.push({ ms, release: resolve });
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  return { sleep, calls };
}

describe('WhatsAppAdapter', () => {
  let credentialsDir: string;
  let adapter: WhatsAppAdapter | undefined;
  let envelopes: InboundEnvelope[];
  const host = () => ({
    inbound: async (e: InboundEnvelope) => {
      envelopes.push(e);
    },
    logger: silentLogger,
  });

  beforeEach(async () => {
    credentialsDir = await mkdtemp(join(tmpdir(), 'carapace-wa-'));
    envelopes = [];
  });
  afterEach(async () => {
    await adapter?.stop();
    adapter = undefined;
    await rm(credentialsDir, { recursive: true, force: true });
  });

  function make(
    config: WhatsAppConfig,
    fake: ReturnType<typeof fakeSocketFactory>,
    sleep = heldSleep().sleep,
  ) {
    adapter = new WhatsAppAdapter({
      config: () => config,
      credentialsDir,
      clock: systemClock,
      sleep,
      socketFactory: fake.factory,
    });
    return adapter;
  }

  it('maps inbound DMs and group messages, and reports the bot ids from the linked account', async () => {
    await linkDevice(credentialsDir, 'default');
    const fake = fakeSocketFactory();
    const a = make(whatsappConfig({ default: {} }), fake);
    await a.start(host());
    const sock = await fake.socket(0);
    sock.open();
    expect(a.selfIds('default')).toEqual(['15550000000', '98765432100001@lid']);
    expect(a.status()[0]).toMatchObject({ connected: true, configured: true, self: { id: '15550000000' } });
    sock.upsert(dmMessage('15551234567', 'hi', { name: 'Ann', id: 'D1' }));
    sock.upsert(
      groupMessage('120363000000000001', '15557654321', 'hey @bot', { mention: ['98765432100001@lid'] }),
    );
    sock.emit('messages.upsert', { messages: [dmMessage('15551234567', 'old history')], type: 'append' });
    await until(() => envelopes.length === 2, 'two envelopes');
    expect(envelopes[0]).toMatchObject({
      peer: { kind: 'dm', id: '15551234567' },
      sender: { id: '15551234567', name: 'Ann' },
      text: 'hi',
      messageId: 'D1',
    });
    expect(envelopes[1]).toMatchObject({
      peer: { kind: 'group', id: '120363000000000001' },
      sender: { id: '15557654321' },
      mentions: ['98765432100001@lid'],
    });
  });

  it('normalizes allowFrom phone numbers and group JIDs in the policy', () => {
    const fake = fakeSocketFactory();
    const a = make(
      whatsappConfig({
        default: {
          dmPolicy: 'allowlist',
          allowFrom: ['+1 555 123 4567', '15557654321@s.whatsapp.net'],
          groups: { '120363000000000001@g.us': { requireMention: false, allowFrom: ['+15550001111'] } },
        },
      }),
      fake,
    );
    expect(a.policy('default')).toMatchObject({
      dmPolicy: 'allowlist',
      allowFrom: ['15551234567', '15557654321'],
      groups: { '120363000000000001': { requireMention: false, allowFrom: ['15550001111'] } },
    });
  });

  it('sends text (converted, quoting a known message), reactions with the original key, and typing', async () => {
    await linkDevice(credentialsDir, 'default');
    const fake = fakeSocketFactory();
    const a = make(whatsappConfig({ default: {} }), fake);
    await a.start(host());
    const sock = await fake.socket(0);
    sock.open();
    sock.upsert(groupMessage('120363000000000001', '15557654321', 'question', { id: 'G7' }));
    await until(() => envelopes.length === 1, 'envelope');
    const sent = await a.send('default', { to: '120363000000000001', text: '**yes**', replyTo: 'G7' });
    await a.react('default', '120363000000000001', 'G7', '👀');
    await a.typing('default', '15551234567');
    expect(sock.sent[0]).toMatchObject({
      jid: '120363000000000001@g.us',
      content: { text: '*yes*' },
      quotedId: 'G7',
      id: sent.messageId,
    });
    expect(sock.sent[1]?.content).toEqual({
      react: {
        text: '👀',
        key: {
          remoteJid: '120363000000000001@g.us',
          participant: '15557654321@s.whatsapp.net',
          id: 'G7',
          fromMe: false,
        },
      },
    });
    expect(sock.presence).toEqual([{ type: 'composing', jid: '15551234567@s.whatsapp.net' }]);
  });

  it('reports send failures with the outcome the delivery queue needs', async () => {
    await linkDevice(credentialsDir, 'default');
    const fake = fakeSocketFactory();
    const a = make(whatsappConfig({ default: {} }), fake);
    await a.start(host());
    const sock = await fake.socket(0);
    const msg = { to: '15551234567', text: 'x' };
    const outcome = (p: Promise<unknown>) => p.then(() => 'sent', sendOutcomeOf);
    expect(await outcome(a.send('default', msg))).toBe('retry');
    sock.open();
    const cases: [number, string][] = [
      [428, 'retry'],
      [503, 'retry'],
      [400, 'fatal'],
      [408, 'unknown'],
    ];
    for (const [status, expected] of cases) {
      sock.failNext = boom(status);
      expect(await outcome(a.send('default', msg))).toBe(expected);
    }
    sock.failNext = new Error('socket hang up');
    expect(await outcome(a.send('default', msg))).toBe('unknown');
    expect(await outcome(a.send('default', msg))).toBe('sent');
  });

  it('persists creds.update in a 0700 folder and the next start reuses the same auth state', async () => {
    await linkDevice(credentialsDir, 'default');
    const dir = whatsappAuthDir(credentialsDir, 'default');
    const fake = fakeSocketFactory();
    const a = make(whatsappConfig({ default: {} }), fake);
    await a.start(host());
    const first = await fake.socket(0);
    first.auth.creds.me = { ...SELF, name: 'Renamed' };
    first.auth.creds.routingInfo = Buffer.from('route-1');
    first.emit('creds.update', { me: first.auth.creds.me });
    await first.auth.keys.set({
      'pre-key': { '1': { public: Buffer.alloc(32, 1), private: Buffer.alloc(32, 2) } },
    });
    await until(() => first.auth.creds.me?.name === 'Renamed', 'update');
    await a.stop();
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'creds.json'))).mode & 0o777).toBe(0o600);
    const onDisk = JSON.parse(await readFile(join(dir, 'creds.json'), 'utf8'), BufferJSON.reviver);
    expect(onDisk.me.name).toBe('Renamed');
    await expect(stat(join(dir, 'pre-key-1.json'))).resolves.toBeDefined();

    await a.start(host());
    const second = await fake.socket(1);
    expect(second.auth.creds.me?.name).toBe('Renamed');
    expect(second.auth.creds.advSecretKey).toBe(first.auth.creds.advSecretKey);
    expect(Buffer.from(second.auth.creds.routingInfo ?? []).toString()).toBe('route-1');
    expect(second.auth.creds.noiseKey.private).toEqual(first.auth.creds.noiseKey.private);
    const keys = await second.auth.keys.get('pre-key', ['1']);
    expect(Buffer.from(keys['1']?.private ?? []).equals(Buffer.alloc(32, 2))).toBe(true);
  });

  it('waits for a link without opening a socket, then connects once one appears', async () => {
    const fake = fakeSocketFactory({ autoOpen: true });
    const held = heldSleep();
    const a = make(whatsappConfig({ default: {} }), fake, held.sleep);
    await a.start(host());
    await until(() => held.calls.length === 1, 'link poll');
    expect(fake.sockets).toHaveLength(0);
    expect(a.status()[0]).toMatchObject({ running: true, connected: false, configured: false });
    expect(a.status()[0]?.lastError).toContain('carapace channels login whatsapp --account default');
    await linkDevice(credentialsDir, 'default');
    held.calls[0]?.release();
    await until(() => a.status()[0]?.connected === true, 'connected');
    expect(fake.sockets).toHaveLength(1);
  });

  it('logout unlinks the device, deletes the credentials and waits for a new link', async () => {
    const dir = await linkDevice(credentialsDir, 'default');
    const fake = fakeSocketFactory({ autoOpen: true });
    const a = make(whatsappConfig({ default: {} }), fake);
    await a.start(host());
    await until(() => a.status()[0]?.connected === true, 'connected');
    expect(await a.logout('default')).toEqual({ cleared: true });
    expect(fake.sockets[0]?.loggedOut).toBe(true);
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(a.status()[0]).toMatchObject({ connected: false, loggedOut: true, configured: false });
    expect(fake.sockets).toHaveLength(1);
    expect(await a.logout('default')).toEqual({ cleared: false });
  });
});
