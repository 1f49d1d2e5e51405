import { describe, expect, it } from 'vitest';
import { AccountLifecycle, type LiveAccount, retryWithBackoff } from './account-lifecycle.js';
import type { AdapterHost } from './contract.js';
import { silentLogger } from './ports.js';

interface Cfg {
  enabled: boolean;
  token: string;
}

interface Acc extends LiveAccount {
  connects: number;
}

const host: AdapterHost = { inbound: async () => {}, logger: silentLogger };

function setup(accounts: Record<string, Cfg>) {
  const config = { enabled: true, accounts };
  const closed: string[] = [];
  const lifecycle = new AccountLifecycle<Cfg, Acc>({
    channel: 'fake',
    config: () => config,
    fingerprint: (cfg) => cfg.token,
    clock: { now: () => 1000, monotonic: () => 0 },
    create: (base) => ({ ...base, connects: 0 }),
    connect: async (acc, cfg) => {
      acc.connects++;
      if (cfg.token === 'bad') throw new Error('refused');
      acc.status.connected = true;
    },
    close: async (acc) => {
      closed.push(`${acc.id}:${acc.fingerprint}`);
    },
  });
  return { config, closed, lifecycle };
}

describe('AccountLifecycle', () => {
  it('starts enabled accounts and shows the others stopped', async () => {
    const { lifecycle } = setup({ a: { enabled: true, token: 't1' }, b: { enabled: false, token: 't2' } });
    await lifecycle.start(host);
    expect(lifecycle.accountIds()).toEqual(['a']);
    expect(lifecycle.status()).toEqual([
      expect.objectContaining({ accountId: 'a', running: true, connected: true, lastStartAt: 1000 }),
      { channel: 'fake', accountId: 'b', enabled: false, configured: true, running: false, connected: false },
    ]);
    expect(lifecycle.enabledConfig('b')).toBeUndefined();
  });

  it('restarts an account whose fingerprint changed and stops a removed one', async () => {
    const { config, closed, lifecycle } = setup({ a: { enabled: true, token: 't1' } });
    await lifecycle.start(host);
    config.accounts = { a: { enabled: true, token: 't2' } };
    await lifecycle.reload();
    expect(closed).toEqual(['a:t1']);
    expect(lifecycle.get('a')?.fingerprint).toBe('t2');
    config.accounts = {};
    await lifecycle.reload();
    expect(closed).toEqual(['a:t1', 'a:t2']);
    expect(lifecycle.get('a')).toBeUndefined();
  });

  it('keeps a logged-out account stopped until its credentials change', async () => {
    const { config, lifecycle } = setup({ a: { enabled: true, token: 't1' } });
    await lifecycle.start(host);
    expect(await lifecycle.logout('a')).toEqual({ cleared: false });
    await lifecycle.reload();
    expect(lifecycle.status()[0]).toMatchObject({ running: false, loggedOut: true });
    config.accounts = { a: { enabled: true, token: 't2' } };
    await lifecycle.reload();
    expect(lifecycle.status()[0]).toMatchObject({ running: true });
    expect(lifecycle.status()[0]?.loggedOut).toBeUndefined();
  });

  it('records a failed connect as the account error', async () => {
    const { lifecycle } = setup({ a: { enabled: true, token: 'bad' } });
    await lifecycle.start(host);
    await new Promise((r) => setImmediate(r));
    expect(lifecycle.status()[0]).toMatchObject({
      connected: false,
      lastError: 'refused',
      lastErrorAt: 1000,
    });
  });

  it('stops every account and forgets the host', async () => {
    const { closed, lifecycle } = setup({
      a: { enabled: true, token: 't1' },
      b: { enabled: true, token: 't2' },
    });
    await lifecycle.start(host);
    const a = lifecycle.get('a');
    await lifecycle.stop();
    expect(closed.sort()).toEqual(['a:t1', 'b:t2']);
    expect(a?.abort.signal.aborted).toBe(true);
    expect(lifecycle.host).toBeUndefined();
    await lifecycle.reload();
    expect(lifecycle.get('a')).toBeUndefined();
  });
});

describe('retryWithBackoff', () => {
  it('doubles the wait from 1 s up to 5 minutes until an attempt succeeds', async () => {
    const waits: number[] = [];
    let calls = 0;
    const ok = await retryWithBackoff(
      new AbortController().signal,
      async (ms) => {
        waits.push(ms);
      },
      async () => {
        if (++calls < 11) throw new Error('down');
      },
      () => false,
    );
    expect(ok).toBe(true);
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000, 300000]);
  });

  it('gives up when the failure is final, and stops without reporting once aborted', async () => {
    const failures: unknown[] = [];
    const final = await retryWithBackoff(
      new AbortController().signal,
      async () => {},
      async () => {
        throw new Error('401');
      },
      (err) => failures.push(err) > 0,
    );
    expect(final).toBe(false);
    expect(failures).toHaveLength(1);
    const abort = new AbortController();
    const aborted = await retryWithBackoff(
      abort.signal,
      async () => {},
      async () => {
        abort.abort();
        throw new Error('stopped');
      },
      (err) => failures.push(err) > 0,
    );
    expect(aborted).toBe(false);
    expect(failures).toHaveLength(1);
  });
});
