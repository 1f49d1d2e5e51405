import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { whatsappAuthDir } from './auth.js';
import { linkWhatsApp } from './login.js';
import { renderQr } from './qr.js';
import { fakeSocketFactory, linkDevice, SELF } from './test-support.js';

describe('linkWhatsApp', () => {
  let credentialsDir: string;
  let authDir: string;

  beforeEach(async () => {
    credentialsDir = await mkdtemp(join(tmpdir(), 'carapace-wa-login-'));
    authDir = whatsappAuthDir(credentialsDir, 'default');
  });
  afterEach(() => rm(credentialsDir, { recursive: true, force: true }));

  it('shows each QR code, survives the restart after the scan, and publishes the link in a 0700 folder', async () => {
    const fake = fakeSocketFactory();
    const qrs: string[] = [];
    const linking = linkWhatsApp({
      authDir,
      accountId: 'default',
      socketFactory: fake.factory,
      onQr: (q) => qrs.push(q),
    });
    const first = await fake.socket(0);
    first.emit('connection.update', { qr: 'ref-1,key,id' });
    first.emit('connection.update', { qr: 'ref-2,key,id' });
    // The phone scanned: Baileys stores the account, then WhatsApp asks for a restart.
    first.auth.creds.me = { id: SELF.id, name: 'Ann' };
    first.emit('creds.update', { me: first.auth.creds.me });
    first.close(515);
    const second = await fake.socket(1);
    expect(await readdir(join(credentialsDir, 'whatsapp'))).not.toContain('default');
    second.open({ id: SELF.id, name: 'Ann' });
    const result = await linking;
    expect(qrs).toEqual(['ref-1,key,id', 'ref-2,key,id']);
    expect(result).toEqual({ alreadyLinked: false, id: '15550000000', name: 'Ann' });
    expect(second.ended).toBe(true);
    expect((await stat(authDir)).mode & 0o777).toBe(0o700);
    const creds = JSON.parse(await readFile(join(authDir, 'creds.json'), 'utf8'));
    expect(creds.me.id).toBe(SELF.id);
    expect(await readdir(join(credentialsDir, 'whatsapp'))).toEqual(['default']);
  });

  it('does nothing when the account is already linked (unless forced)', async () => {
    await linkDevice(credentialsDir, 'default');
    const fake = fakeSocketFactory();
    const result = await linkWhatsApp({
      authDir,
      accountId: 'default',
      socketFactory: fake.factory,
      onQr: () => {},
    });
    expect(result).toMatchObject({ alreadyLinked: true, id: '15550000000' });
    expect(fake.sockets).toHaveLength(0);
  });

  it('fails when no code is scanned in time, leaving no half-made link behind', async () => {
    const fake = fakeSocketFactory();
    const linking = linkWhatsApp({
      authDir,
      accountId: 'default',
      socketFactory: fake.factory,
      onQr: () => {},
    });
    const sock = await fake.socket(0);
    sock.emit('connection.update', { qr: 'ref-1' });
    sock.close(408);
    await expect(linking).rejects.toMatchObject({ code: 'WHATSAPP_LINK_TIMEOUT' });
    expect(await readdir(join(credentialsDir, 'whatsapp'))).toEqual([]);
  });

  it('gives up after a few unexpected closes and reports why', async () => {
    const fake = fakeSocketFactory();
    const linking = linkWhatsApp({
      authDir,
      accountId: 'default',
      socketFactory: fake.factory,
      onQr: () => {},
      maxRetries: 2,
      retryDelayMs: 0,
    });
    for (let n = 0; n < 3; n++) (await fake.socket(n)).close(503);
    await expect(linking).rejects.toMatchObject({ code: 'WHATSAPP_LINK_FAILED', message: /503/ });
    expect(fake.sockets).toHaveLength(3);
  });

  it('a forced relink keeps the old device until the new one works', async () => {
    await linkDevice(credentialsDir, 'default', { id: '15551111111:2@s.whatsapp.net', name: 'Old' });
    const fake = fakeSocketFactory();
    const abort = new AbortController();
    const linking = linkWhatsApp({
      authDir,
      accountId: 'default',
      socketFactory: fake.factory,
      onQr: () => abort.abort(),
      force: true,
      signal: abort.signal,
    });
    (await fake.socket(0)).emit('connection.update', { qr: 'ref-1' });
    await expect(linking).rejects.toMatchObject({ code: 'WHATSAPP_LINK_ABORTED' });
    const creds = JSON.parse(await readFile(join(authDir, 'creds.json'), 'utf8'));
    expect(creds.me.name).toBe('Old');
    expect(await readdir(join(credentialsDir, 'whatsapp'))).toEqual(['default']);
  });
});

describe('renderQr', () => {
  it('draws a QR code with block characters, one text line per two module rows', () => {
    const a = renderQr('2@abcdefghijklmnopqrstuvwxyz0123456789,abcdefghijklmnop==,qrstuvwxyz0123==,ABCDEF==');
    const lines = a.trimEnd().split('\n');
    expect(a).toMatch(/[█▀▄]/);
    expect(lines.length).toBeGreaterThan(10);
    expect(new Set(lines.map((l) => [...l].length)).size).toBe(1);
    expect(renderQr('another code')).not.toBe(a);
  });
});
