import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WhatsAppEvents, WhatsAppSocket, WhatsAppSocketFactory } from '../../channels/index.js';
import type { CliContext } from '../context.js';
import { createProgram } from '../program.js';
import { channelsLogin } from './whatsapp-login.js';

/** The Baileys event interface, scripted: QR code, scan, "restart required", open. */
function scriptedWhatsApp(qr: string) {
  const sockets: WhatsAppSocket[] = [];
  const factory: WhatsAppSocketFactory = async ({ auth }) => {
    const listeners = new Map<string, ((arg: never) => void)[]>();
    const emit = <E extends keyof WhatsAppEvents>(event: E, arg: WhatsAppEvents[E]) => {
      for (const l of listeners.get(event) ?? []) (l as (a: WhatsAppEvents[E]) => void)(arg);
    };
    const sock: WhatsAppSocket = {
      ev: {
        on: (event, listener) => {
          listeners.set(event, [...(listeners.get(event) ?? []), listener as (arg: never) => void]);
        },
      },
      user: undefined,
      sendMessage: async () => undefined,
      sendPresenceUpdate: async () => {},
      logout: async () => {},
      end: () => {},
    };
    const first = sockets.length === 0;
    sockets.push(sock);
    setImmediate(() => {
      if (first) {
        emit('connection.update', { qr });
        auth.creds.me = { id: '15551234567:4@s.whatsapp.net', name: 'Ann' };
        emit('creds.update', { me: auth.creds.me });
        const restart = Object.assign(new Error('restart required'), { output: { statusCode: 515 } });
        emit('connection.update', {
          connection: 'close',
          lastDisconnect: { error: restart, date: new Date() },
        });
      } else {
        Object.assign(sock, { user: auth.creds.me });
        emit('connection.update', { connection: 'open' });
      }
    });
    return sock;
  };
  return { factory, sockets };
}

describe('carapace channels login whatsapp', () => {
  let dir: string;
  let out: string;
  let ctx: CliContext;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'carapace-cli-wa-'));
    out = '';
    ctx = {
      version: '0.0.0-test',
      io: {
        // Colours depend on the terminal and on CI=…; the assertions read the text.
        out: (t) => {
          out += stripVTControlCharacters(t);
        },
        err: (t) => {
          out += stripVTControlCharacters(t);
        },
      },
      env: {} as CliContext['env'],
    };
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('prints the QR code in the terminal, waits for the link, and keeps the credentials 0700', async () => {
    const wa = scriptedWhatsApp('2@ZmFrZS1yZWY=,bm9pc2Uta2V5,aWRlbnRpdHk=,YWR2');
    const code = await channelsLogin(ctx, 'whatsapp', { stateDir: dir, account: 'work' }, wa.factory);
    expect(code).toBe(0);
    expect(out).toContain('Linked devices');
    const qrLines = out.split('\n').filter((l) => /^[█▀▄ ]{20,}$/.test(l));
    expect(qrLines.length).toBeGreaterThan(10);
    expect(out).toContain("linked: WhatsApp account 'work' is +15551234567 (Ann)");
    expect(out).toContain('carapace channels add whatsapp --account work\n');
    expect(out).not.toContain('config set');
    const authDir = join(dir, 'credentials', 'whatsapp', 'work');
    expect((await stat(authDir)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(join(authDir, 'creds.json'), 'utf8')).me.name).toBe('Ann');
    expect(wa.sockets).toHaveLength(2);

    out = '';
    expect(await channelsLogin(ctx, 'whatsapp', { stateDir: dir, account: 'work' }, wa.factory)).toBe(0);
    expect(out).toContain('already linked to +15551234567');
    expect(wa.sockets).toHaveLength(2);
  });

  it('refuses channels that have no device login', async () => {
    await expect(channelsLogin(ctx, 'telegram', { stateDir: dir })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('adds login to the one `channels` command beside status and logout', () => {
    const program = createProgram(ctx, () => {});
    const channels = program.commands.filter((c) => c.name() === 'channels');
    expect(channels).toHaveLength(1);
    const subs = channels[0]?.commands.map((c) => c.name()) ?? [];
    expect(subs).toEqual(expect.arrayContaining(['status', 'logout', 'login']));
  });
});
