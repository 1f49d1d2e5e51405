/**
 * WhatsApp through the public channels API: the ChannelManager the gateway builds from config, and an
 * allowlisted DM answered end to end over Baileys' event interface (a scripted socket, no network).
 */
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ChannelManager,
  WhatsAppAdapter,
  type WhatsAppContent,
  type WhatsAppEvents,
  type WhatsAppSocket,
  whatsappAuthDir,
} from '../../src/channels/index.js';
import { type Config, resolvePaths, type StatePaths, validateConfig } from '../../src/config/index.js';
import { systemClock } from '../../src/shared/index.js';

/** Waits until the account stops (the link check never fires during a test). */
const waitForAbort = (_ms: number, signal?: AbortSignal) =>
  new Promise<void>((_resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
  });

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

class ScriptedSocket implements WhatsAppSocket {
  readonly listeners = new Map<string, ((arg: never) => void)[]>();
  readonly ev: WhatsAppSocket['ev'] = {
    on: (event, listener) => {
      this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener as (arg: never) => void]);
    },
  };
  user = { id: '15550000000:9@s.whatsapp.net', name: 'Bot' };
  readonly sent: { jid: string; content: WhatsAppContent }[] = [];
  readonly presence: string[] = [];
  emit<E extends keyof WhatsAppEvents>(event: E, arg: WhatsAppEvents[E]): void {
    for (const l of this.listeners.get(event) ?? []) (l as (a: WhatsAppEvents[E]) => void)(arg);
  }
  async sendMessage(jid: string, content: WhatsAppContent) {
    this.sent.push({ jid, content });
    return { key: { remoteJid: jid, id: `OUT${this.sent.length}`, fromMe: true } };
  }
  async sendPresenceUpdate(type: string, jid?: string) {
    this.presence.push(`${type} ${jid}`);
  }
  async logout() {}
  end() {}
}

describe('WhatsApp through ChannelManager', () => {
  let stateDir: string;
  let paths: StatePaths;
  let manager: ChannelManager | undefined;

  const config = (whatsapp: unknown): Config => {
    const r = validateConfig({ channels: { whatsapp } });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    return r.config;
  };

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'carapace-wa-mgr-'));
    paths = resolvePaths({ stateDir }, {});
  });
  afterEach(async () => {
    await manager?.stop();
    manager = undefined;
    await rm(stateDir, { recursive: true, force: true });
  });

  it('is built from config like Telegram: an unlinked account is reported with the login command', async () => {
    const cfg = config({ accounts: { default: { dmPolicy: 'allowlist', allowFrom: ['+15551234567'] } } });
    manager = new ChannelManager({
      config: () => cfg,
      paths,
      emit: () => {},
      sink: { submit: async () => ({ text: '' }) },
      sleep: waitForAbort,
    });
    await manager.start();
    expect(manager.adapter('whatsapp')?.policy('default')?.allowFrom).toEqual(['15551234567']);
    await until(() => manager?.status().channelAccounts.whatsapp?.[0]?.lastError !== undefined, 'status');
    const status = manager.status();
    expect(status.channels.whatsapp).toEqual({
      configured: false,
      running: true,
      connected: false,
      accounts: 1,
    });
    expect(status.channelAccounts.whatsapp?.[0]?.lastError).toContain('carapace channels login whatsapp');
    const dir = whatsappAuthDir(paths.credentialsDir, 'default');
    await mkdir(dir, { recursive: true });
    expect(await manager.logout('whatsapp')).toMatchObject({ accountId: 'default', cleared: true });
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(manager.status().channelAccounts.whatsapp?.[0]?.loggedOut).toBe(true);
  });

  it('answers an allowlisted DM end to end: typing presence, ack reaction, then the reply', async () => {
    const dir = whatsappAuthDir(paths.credentialsDir, 'default');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(join(dir, 'creds.json'), JSON.stringify({ me: { id: '15550000000:9@s.whatsapp.net' } }));
    const cfg = config({
      accounts: { default: { dmPolicy: 'allowlist', allowFrom: ['+15551234567'], ackReaction: '👀' } },
    });
    const sockets: ScriptedSocket[] = [];
    const adapter = new WhatsAppAdapter({
      config: () => cfg.channels.whatsapp,
      credentialsDir: paths.credentialsDir,
      clock: systemClock,
      sleep: waitForAbort,
      socketFactory: async () => {
        const s = new ScriptedSocket();
        sockets.push(s);
        setImmediate(() => s.emit('connection.update', { connection: 'open' }));
        return s;
      },
    });
    const asked: string[] = [];
    manager = new ChannelManager({
      config: () => cfg,
      paths,
      adapters: [adapter],
      emit: () => {},
      sink: {
        submit: async (envelope, route) => {
          asked.push(`${route.sessionKey} ${envelope.sender.id}: ${envelope.text}`);
          return { text: 'Hello **Ann**' };
        },
      },
      sleep: waitForAbort,
    });
    await manager.start();
    await until(() => manager?.status().channels.whatsapp?.connected === true, 'connected');
    const sock = sockets[0];
    if (!sock) throw new Error('no socket');
    sock.emit('messages.upsert', {
      type: 'notify',
      messages: [
        {
          key: { remoteJid: '15551234567@s.whatsapp.net', id: 'M1', fromMe: false },
          pushName: 'Ann',
          message: { conversation: 'hi bot' },
        },
        {
          key: { remoteJid: '15559999999@s.whatsapp.net', id: 'M2', fromMe: false },
          message: { conversation: 'stranger' },
        },
      ],
    });
    await until(() => sock.sent.some((m) => 'text' in m.content), 'reply');
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain('15551234567: hi bot');
    expect(sock.presence).toContain('composing 15551234567@s.whatsapp.net');
    expect(sock.sent).toEqual([
      {
        jid: '15551234567@s.whatsapp.net',
        content: {
          react: { text: '👀', key: { remoteJid: '15551234567@s.whatsapp.net', id: 'M1', fromMe: false } },
        },
      },
      { jid: '15551234567@s.whatsapp.net', content: { text: 'Hello *Ann*' } },
    ]);
  });
});
