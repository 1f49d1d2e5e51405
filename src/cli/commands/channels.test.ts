import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../test/helpers/cli.js';
import type { ChannelsStatus } from '../../channels/index.js';
import { formatChannelsStatus } from './channels.js';

// The channel commands that need no gateway (pairing on the state dir, channels list/add/remove, usage
// errors), run as the built CLI. Against a running gateway they are tested in test/channels/gateway-e2e.

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-cli-channels-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function carapace(args: string[]) {
  return runCli(args, { HOME: dir, CARAPACE_STATE_DIR: dir, NO_COLOR: '1' });
}

const pairingFile = (account = 'default', channel = 'telegram') =>
  join(dir, 'credentials', channel, `${account}-pairing.json`);

/** A pairing file as the gateway writes it, with one pending code. */
async function writePending(
  code: string,
  senderId: string,
  expiresIn = 30 * 60_000,
  channel = 'telegram',
  account = 'default',
): Promise<void> {
  const now = Date.now();
  await mkdir(join(dir, 'credentials', channel), { recursive: true, mode: 0o700 });
  const file = {
    version: 1,
    approved: [],
    pending: [
      { code, senderId, peerId: senderId, senderName: 'Alice', createdAt: now, expiresAt: now + expiresIn },
    ],
    replies: [[senderId, now]],
  };
  await writeFile(pairingFile(account, channel), JSON.stringify(file), { mode: 0o600 });
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('carapace pairing without a gateway', { timeout: 60_000 }, () => {
  it('list reads pending codes from the state dir (table and JSON)', async () => {
    await writePending('ABCD2345', '42001');
    const table = carapace(['pairing', 'list']);
    expect(table.status).toBe(0);
    expect(table.stderr).toContain('no gateway is running on this state dir');
    expect(table.stdout).toMatch(/^CHANNEL\s+ACCOUNT\s+CODE\s+SENDER\s+REQUESTED\s+EXPIRES$/m);
    expect(table.stdout).toMatch(
      /^telegram\s+default\s+ABCD2345\s+42001 \(Alice\)\s+(just now|\d+s ago)\s+in 30m$/m,
    );
    const json = carapace(['pairing', 'list', '--channel', 'telegram', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({
      requests: [expect.objectContaining({ channel: 'telegram', accountId: 'default', code: 'ABCD2345' })],
    });
    expect(carapace(['pairing', 'list', '--channel', 'discord']).stdout).toBe(
      'no pending pairing requests on discord\n',
    );
  });

  it('approve writes the approval into the pairing file; the code then is gone', async () => {
    await writePending('ABCD2345', '42001');
    const run = carapace(['pairing', 'approve', 'telegram', 'abcd-2345']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('approved: 42001 (Alice) may now message telegram/default');
    expect(run.stdout).toContain('the sender is not notified');
    const file = JSON.parse(await readFile(pairingFile(), 'utf8')) as {
      approved: { id: string }[];
      pending: unknown[];
    };
    expect(file.approved.map((a) => a.id)).toEqual(['42001']);
    expect(file.pending).toEqual([]);
    const again = carapace(['pairing', 'approve', 'telegram', 'ABCD2345']);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain("no pending pairing code 'ABCD2345' on telegram");
  });

  it('an expired code is not approved', async () => {
    await writePending('ABCD2345', '42001', -1000);
    expect(carapace(['pairing', 'list']).stdout).toBe('no pending pairing requests\n');
    expect(carapace(['pairing', 'approve', 'telegram', 'ABCD2345']).status).toBe(1);
  });

  it('discord, slack and whatsapp codes are listed and approved like telegram, per channel and account', async () => {
    await writePending('DDDD2345', '410000000000000001', undefined, 'discord');
    await writePending('SSSS2345', 'U0ALICE', undefined, 'slack', 'acme');
    await writePending('WWWW2345', '15551234567', undefined, 'whatsapp', 'work');
    // A linked device's folder beside the pairing files is not an account.
    await mkdir(join(dir, 'credentials', 'whatsapp', 'work'), { recursive: true });
    const table = carapace(['pairing', 'list']);
    expect(table.status, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^discord\s+default\s+DDDD2345\s+410000000000000001 \(Alice\)\s/m);
    expect(table.stdout).toMatch(/^slack\s+acme\s+SSSS2345\s+U0ALICE \(Alice\)\s/m);
    expect(table.stdout).toMatch(/^whatsapp\s+work\s+WWWW2345\s+15551234567 \(Alice\)\s/m);
    const slackOnly = JSON.parse(carapace(['pairing', 'list', '--channel', 'slack', '--json']).stdout) as {
      requests: { channel: string; code: string }[];
    };
    expect(slackOnly.requests.map((r) => `${r.channel}:${r.code}`)).toEqual(['slack:SSSS2345']);

    // A code is approved only on its own channel (and account, when one is named).
    expect(carapace(['pairing', 'approve', 'slack', 'DDDD2345']).status).toBe(1);
    expect(carapace(['pairing', 'approve', 'slack', 'SSSS2345', '--account', 'other']).status).toBe(1);
    for (const [channel, code, account, sender] of [
      ['discord', 'DDDD2345', 'default', '410000000000000001'],
      ['slack', 'SSSS2345', 'acme', 'U0ALICE'],
      ['whatsapp', 'wwww-2345', 'work', '15551234567'],
    ] as const) {
      const run = carapace(['pairing', 'approve', channel, code, '--account', account]);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toContain(`approved: ${sender} (Alice) may now message ${channel}/${account}`);
      const file = JSON.parse(await readFile(pairingFile(account, channel), 'utf8')) as {
        approved: { id: string }[];
        pending: unknown[];
      };
      expect(file.approved.map((a) => a.id)).toEqual([sender]);
      expect(file.pending).toEqual([]);
    }
    expect(carapace(['pairing', 'list']).stdout).toBe('no pending pairing requests\n');
  });

  it('with a live gateway lock it goes to the gateway and never writes the file itself', async () => {
    await writePending('ABCD2345', '42001');
    const before = await readFile(pairingFile(), 'utf8');
    const port = await closedPort();
    const lock = { pid: process.pid, port, host: '127.0.0.1', startedAt: Date.now(), stateDir: dir };
    await writeFile(join(dir, 'gateway.lock'), JSON.stringify(lock));
    const run = carapace(['pairing', 'approve', 'telegram', 'ABCD2345']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`no gateway is listening on ws://127.0.0.1:${port}`);
    expect(await readFile(pairingFile(), 'utf8')).toBe(before);
  });
});

describe('carapace channels list/add/remove (config)', { timeout: 60_000 }, () => {
  it('add writes an account with a token reference; list shows it; remove takes it out', async () => {
    const add = carapace([
      'channels',
      'add',
      'telegram',
      '--token-env',
      'TELEGRAM_BOT_TOKEN',
      '--dm-policy',
      'allowlist',
      '--allow-from',
      '42001, 42002',
    ]);
    expect(add.status, add.stderr).toBe(0);
    expect(add.stdout).toContain('channels.telegram.accounts.default');
    expect(add.stdout).toContain('no gateway is running here');
    const config = JSON.parse(await readFile(join(dir, 'carapace.json'), 'utf8'));
    expect(config.channels.telegram.accounts.default).toEqual({
      enabled: true,
      botToken: { source: 'env', id: 'TELEGRAM_BOT_TOKEN' },
      dmPolicy: 'allowlist',
      allowFrom: ['42001', '42002'],
    });
    const second = carapace(['channels', 'add', 'telegram', '--account', 'work', '--token-file', '/run/tg']);
    expect(second.status, second.stderr).toBe(0);

    const list = carapace(['channels', 'list']);
    expect(list.stdout).toMatch(
      /^CHANNEL\s+ACCOUNT\s+ENABLED\s+CREDENTIALS\s+DM POLICY\s+ALLOW FROM\s+GROUPS$/m,
    );
    expect(list.stdout).toMatch(/^telegram\s+default\s+yes\s+env TELEGRAM_BOT_TOKEN\s+allowlist\s+2\s+-$/m);
    expect(list.stdout).toMatch(/^telegram\s+work\s+yes\s+file \/run\/tg\s+pairing\s+0\s+-$/m);
    const json = JSON.parse(carapace(['channels', 'list', '--json']).stdout) as { accounts: unknown[] };
    expect(json.accounts).toHaveLength(2);

    const remove = carapace(['channels', 'remove', 'telegram', '--account', 'work']);
    expect(remove.status, remove.stderr).toBe(0);
    expect(remove.stdout).toContain('Removed channels.telegram.accounts.work');
    const after = JSON.parse(carapace(['channels', 'list', '--json']).stdout) as {
      accounts: { accountId: string }[];
    };
    expect(after.accounts.map((a) => a.accountId)).toEqual(['default']);
    const missing = carapace(['channels', 'remove', 'telegram', '--account', 'work']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("telegram has no account 'work'");
  });

  it('refuses bad arguments with exit 2 and writes nothing', async () => {
    const noToken = carapace(['channels', 'add', 'telegram']);
    expect(noToken.status).toBe(2);
    expect(noToken.stderr).toContain('exactly one of --token-env <VAR> or --token-file <path>');
    expect(carapace(['channels', 'add', 'telegram', '--token-env', 'A', '--token-file', 'f']).status).toBe(2);
    expect(carapace(['channels', 'add', 'telegram', '--token-env', 'not a name']).status).toBe(2);
    expect(carapace(['channels', 'add', 'telegram', '--account', 'a.b', '--token-env', 'A']).status).toBe(2);
    expect(carapace(['channels', 'add', 'irc', '--token-env', 'A']).stderr).toContain(
      "unknown channel 'irc'",
    );
    expect(carapace(['channels', 'add', 'telegram', '--token-env', 'A', '--dm-policy', 'all']).status).toBe(
      2,
    );
    await expect(readFile(join(dir, 'carapace.json'), 'utf8')).rejects.toThrow(/ENOENT/);
    expect(carapace(['channels', 'list']).stdout).toContain('no channel accounts in');
  });
});

describe('carapace message send and channels status: usage and no gateway', { timeout: 60_000 }, () => {
  it('message send needs --to and --text; an empty text is a usage error', () => {
    expect(carapace(['message', 'send', '--text', 'hi']).status).toBe(2);
    expect(carapace(['message', 'send', '--to', '1']).status).toBe(2);
    const empty = carapace(['message', 'send', '--to', '1', '--text', '  ']);
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain('--text is empty');
  });

  it('status, logout and send say how to start a gateway when none runs', async () => {
    const port = await closedPort();
    for (const args of [
      ['channels', 'status'],
      ['channels', 'logout', 'telegram'],
      ['message', 'send', '--to', '1', '--text', 'hi'],
    ]) {
      const run = carapace([...args, '--url', `ws://127.0.0.1:${port}`]);
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('start one with `carapace gateway run`');
    }
  });
});

// biome-ignore lint/suspicious/noControlCharactersInRegex: removing ANSI color codes
const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');

describe('formatChannelsStatus', () => {
  const now = 1_800_000_000_000;
  const base = { enabled: true, configured: true, running: true, connected: true };
  const stats = {
    received: 3,
    handled: 3,
    duplicates: 0,
    dropped: 1,
    pairingReplies: 1,
    submitted: 2,
    sent: 4,
  };

  it('one row per account with state, bot, last in/out, pending and failed; then the errors', () => {
    const status: ChannelsStatus = {
      ts: now,
      channels: {},
      channelAccounts: {
        telegram: [
          {
            ...base,
            channel: 'telegram',
            accountId: 'default',
            self: { id: '7', username: 'my_bot' },
            lastInboundAt: now - 5000,
            lastOutboundAt: now - 120_000,
            lastError: 'delivery failed: telegram sendMessage: 403 Forbidden',
            lastErrorAt: now - 60_000,
            stats: { ...stats, pending: 2, failed: 1, unknown: 1 },
          },
          {
            ...base,
            channel: 'telegram',
            accountId: 'off',
            enabled: false,
            running: false,
            connected: false,
          },
          {
            ...base,
            channel: 'telegram',
            accountId: 'bye',
            running: false,
            connected: false,
            loggedOut: true,
          },
          { ...base, channel: 'telegram', accountId: 'wait', connected: false },
        ],
      },
    };
    const lines = plain(formatChannelsStatus(status, now)).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^CHANNEL\s+ACCOUNT\s+STATE\s+BOT\s+LAST IN\s+LAST OUT\s+PENDING\s+FAILED$/);
    expect(lines[1]).toMatch(/^telegram\s+default\s+connected\s+@my_bot\s+5s ago\s+2m ago\s+2\s+2$/);
    expect(lines[2]).toMatch(/^telegram\s+off\s+disabled\s+-\s+-\s+-\s+-\s+-$/);
    expect(lines[3]).toMatch(/^telegram\s+bye\s+logged out\s/);
    expect(lines[4]).toMatch(/^telegram\s+wait\s+connecting\s/);
    expect(lines[5]).toBe('telegram/default: delivery failed: telegram sendMessage: 403 Forbidden (1m ago)');
    expect(lines).toHaveLength(6);
  });

  it('says how to add an account when there is none', () => {
    const empty: ChannelsStatus = { ts: now, channels: {}, channelAccounts: { telegram: [] } };
    expect(formatChannelsStatus(empty, now)).toContain('no channel accounts configured');
  });
});
