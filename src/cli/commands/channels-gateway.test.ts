import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDiscord } from '../../../test/fakes/fake-discord.js';
import { spawnCli } from '../../../test/helpers/cli.js';
import { type Harness, startGateway } from '../../../test/helpers/gateway-harness.js';
import type { ChannelsStatus } from '../../channels/index.js';

// `carapace channels add|remove` and `carapace pairing list|approve` for Discord and WhatsApp against a
// running (in-process) gateway, found through its state dir as a user would: the account is added
// through the gateway's config methods and started without a restart; remove stops it.

const ALICE = { id: '410000000000000001', username: 'alice', global_name: 'Alice' };
const CODE = /Your pairing code: ([A-Z2-9]{8})/;

let discord: FakeDiscord;
let h: Harness;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The built CLI, asynchronously: the gateway runs in this process and must keep answering. */
function carapace(args: string[]): Promise<Run> {
  const child = spawnCli([...args, '--state-dir', h.stateDir], { HOME: h.stateDir, NO_COLOR: '1' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

async function status(): Promise<ChannelsStatus> {
  const run = await carapace(['channels', 'status', '--json']);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as ChannelsStatus;
}

/** Resolve when `check` resolves true (polled); fail with `what` after 20 s. */
async function until(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  discord = await FakeDiscord.start();
  h = await startGateway(undefined, {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    DISCORD_BOT_TOKEN: discord.token,
  });
}, 60_000);

afterAll(async () => {
  await h?.cleanup();
  await discord?.close();
});

describe('carapace channels add/remove and pairing through a running gateway', { timeout: 90_000 }, () => {
  it('discord: add starts the bot without a restart; pairing list/approve go through the gateway; remove stops it', async () => {
    const add = await carapace([
      'channels',
      'add',
      'discord',
      '--token-env',
      'DISCORD_BOT_TOKEN',
      '--api-url',
      discord.apiUrl,
    ]);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toContain('Set channels.discord.accounts.default');
    expect(add.stdout).toContain('(through the running gateway)');
    expect(add.stdout).toContain('applied without a restart');
    await discord.waitFor(() => discord.liveSessions === 1, 'the gateway session', 20_000);
    const account = (await status()).channelAccounts.discord?.[0];
    expect(account).toMatchObject({ accountId: 'default', running: true, self: { id: discord.bot.id } });

    discord.dm(ALICE, 'hello');
    await discord.waitFor(() => discord.inChannel(ALICE.id).length === 1, 'the pairing reply', 20_000);
    const code = CODE.exec(discord.inChannel(ALICE.id)[0]?.content ?? '')?.[1] ?? '';
    const list = await carapace(['pairing', 'list', '--channel', 'discord']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stderr).toBe('');
    expect(list.stdout).toMatch(
      new RegExp(`^discord\\s+default\\s+${code}\\s+${ALICE.id} \\(Alice\\)\\s`, 'm'),
    );
    const approve = await carapace(['pairing', 'approve', 'discord', code]);
    expect(approve.code, approve.stderr).toBe(0);
    expect(approve.stdout).toContain(`approved: ${ALICE.id} (Alice) may now message discord/default`);
    expect(approve.stdout).toContain('the gateway is telling the sender');
    await discord.waitFor(() => discord.inChannel(ALICE.id).length === 2, 'the approval notice', 20_000);

    const remove = await carapace(['channels', 'remove', 'discord']);
    expect(remove.code, remove.stderr).toBe(0);
    expect(remove.stdout).toContain('(through the running gateway)');
    expect((await status()).channelAccounts.discord ?? []).toEqual([]);
    await discord.waitFor(() => discord.liveSessions === 0, 'the session to close', 20_000);
  });

  it('whatsapp: add shows the unlinked account in channels.status and names the login step; remove drops it', async () => {
    const add = await carapace(['channels', 'add', 'whatsapp', '--account', 'work']);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toContain('(through the running gateway)');
    expect(add.stdout).toContain('next: link the phone with carapace channels login whatsapp --account work');
    await until(async () => {
      const work = (await status()).channelAccounts.whatsapp?.find((a) => a.accountId === 'work');
      return work?.lastError?.startsWith('not linked') === true;
    }, 'the account to report that it is not linked');
    const remove = await carapace(['channels', 'remove', 'whatsapp', '--account', 'work']);
    expect(remove.code, remove.stderr).toBe(0);
    expect((await status()).channelAccounts.whatsapp ?? []).toEqual([]);
  });
});
