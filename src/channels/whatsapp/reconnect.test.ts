import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../config/index.js';
import { silentLogger } from '../ports.js';
import { WhatsAppAdapter } from './adapter.js';
import { fakeSocketFactory, linkDevice, until } from './test-support.js';

const LINK_POLL_MS = 15_000;

/** A clock the test moves, and a sleep that only records until the test releases it. */
function fakeTime() {
  let t = 1_000_000;
  const calls: { ms: number; release: () => void }[] = [];
  return {
    clock: { now: () => t, monotonic: () => t },
    advance: (ms: number) => {
      t += ms;
    },
    calls,
    sleep: (ms: number, signal?: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        calls.push({ ms, release: resolve });
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
  };
}

describe('WhatsApp reconnects', () => {
  let credentialsDir: string;
  let adapter: WhatsAppAdapter;
  let time: ReturnType<typeof fakeTime>;
  let fake: ReturnType<typeof fakeSocketFactory>;

  beforeEach(async () => {
    credentialsDir = await mkdtemp(join(tmpdir(), 'carapace-wa-rc-'));
    await linkDevice(credentialsDir, 'default');
    time = fakeTime();
    fake = fakeSocketFactory();
    const r = validateConfig({ channels: { whatsapp: { accounts: { default: {} } } } });
    if (!r.ok) throw new Error('bad config');
    const config = r.config.channels.whatsapp;
    adapter = new WhatsAppAdapter({
      config: () => config,
      credentialsDir,
      clock: time.clock,
      sleep: time.sleep,
      socketFactory: fake.factory,
      random: () => 0.5,
      backoff: { initialMs: 2000, maxMs: 10_000, stableMs: 60_000 },
      linkPollMs: LINK_POLL_MS,
    });
    await adapter.start({ inbound: async () => {}, logger: silentLogger });
  });

  afterEach(async () => {
    await adapter.stop();
    await rm(credentialsDir, { recursive: true, force: true });
  });

  const status = () => adapter.status()[0];

  it('backs off exponentially up to the cap, with one pending reconnect however often the socket closes', async () => {
    const delays: number[] = [];
    for (let n = 0; n < 5; n++) {
      const sock = await fake.socket(n);
      sock.close(428);
      sock.close(428);
      sock.close(408);
      await until(() => time.calls.length === n + 1, `reconnect ${n + 1} scheduled`);
      expect(fake.sockets).toHaveLength(n + 1);
      delays.push(time.calls[n]?.ms ?? -1);
      expect(status()?.lastError).toMatch(/reconnecting in \d+ s/);
      time.calls[n]?.release();
    }
    expect(delays).toEqual([2000, 4000, 8000, 10_000, 10_000]);
  });

  it('starts the sequence again after a connection that stayed up, not after a short one', async () => {
    const first = await fake.socket(0);
    first.close(428);
    await until(() => time.calls.length === 1, 'first reconnect');
    time.calls[0]?.release();
    const second = await fake.socket(1);
    second.open();
    time.advance(5_000);
    second.close(428);
    await until(() => time.calls.length === 2, 'second reconnect');
    expect(time.calls[1]?.ms).toBe(4000);
    time.calls[1]?.release();
    const third = await fake.socket(2);
    third.open();
    time.advance(61_000);
    third.close(428);
    await until(() => time.calls.length === 3, 'third reconnect');
    expect(time.calls[2]?.ms).toBe(2000);
  });

  it('reconnects at once after "restart required", but only the first time', async () => {
    (await fake.socket(0)).close(515);
    const second = await fake.socket(1);
    expect(time.calls).toHaveLength(0);
    second.close(515);
    await until(() => time.calls.length === 1, 'backoff');
    expect(time.calls[0]?.ms).toBe(4000);
  });

  it('logged out from the phone: no reconnect, credentials removed, waits for a new link', async () => {
    const sock = await fake.socket(0);
    sock.open();
    sock.close(401);
    await until(() => status()?.loggedOut === true && time.calls.length === 1, 'logged out');
    expect(time.calls[0]?.ms).toBe(LINK_POLL_MS);
    expect(status()).toMatchObject({ connected: false, configured: false, running: true });
    expect(status()?.lastError).toContain('carapace channels login whatsapp --account default');
    await expect(stat(join(credentialsDir, 'whatsapp', 'default'))).rejects.toMatchObject({ code: 'ENOENT' });
    time.calls[0]?.release();
    await until(() => time.calls.length === 2, 'next link check');
    expect(fake.sockets).toHaveLength(1);
  });

  it('replaced by another session: stops and reports, without retrying', async () => {
    const sock = await fake.socket(0);
    sock.open();
    sock.close(440);
    await until(() => status()?.running === false, 'stopped');
    expect(status()?.lastError).toContain('replaced');
    expect(time.calls).toHaveLength(0);
    expect(fake.sockets).toHaveLength(1);
  });

  it('stop during a pending reconnect ends it: no new socket afterwards', async () => {
    (await fake.socket(0)).close(428);
    await until(() => time.calls.length === 1, 'pending reconnect');
    await adapter.stop();
    time.calls[0]?.release();
    await new Promise((r) => setImmediate(r));
    expect(fake.sockets).toHaveLength(1);
    expect(status()).toMatchObject({ running: false, connected: false });
  });
});
