import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../test/helpers/cli.js';

// `carapace channels add|list|remove` for Discord, Slack and WhatsApp without a gateway (the file is
// edited); through a running gateway in channels-gateway.test.ts, Telegram in channels.test.ts.

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-cli-channels-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function carapace(args: string[]) {
  return runCli(args, { HOME: dir, CARAPACE_STATE_DIR: dir, NO_COLOR: '1' });
}

const config = async () =>
  JSON.parse(await readFile(join(dir, 'carapace.json'), 'utf8')) as {
    channels: Record<string, { accounts: Record<string, unknown> }>;
  };

describe('carapace channels add/list/remove: discord, slack, whatsapp', { timeout: 60_000 }, () => {
  it('writes each entry with references only; list shows where the secrets come from', async () => {
    const discord = carapace(['channels', 'add', 'discord', '--token-env', 'DISCORD_BOT_TOKEN']);
    expect(discord.status, discord.stderr).toBe(0);
    expect(discord.stdout).toContain('channels.discord.accounts.default');
    expect(discord.stdout).toContain('no gateway is running here');
    expect(discord.stdout).toContain('the gateway reads DISCORD_BOT_TOKEN from its own environment');
    const slack = carapace([
      'channels',
      'add',
      'slack',
      '--account',
      'acme',
      '--bot-token-env',
      'SLACK_BOT_TOKEN',
      '--app-token-file',
      '/run/slack-app',
      '--allow-from',
      'U01,U02',
    ]);
    expect(slack.status, slack.stderr).toBe(0);
    const http = carapace([
      'channels',
      'add',
      'slack',
      '--account',
      'web',
      '--mode',
      'http',
      '--bot-token-file',
      '/run/slack-bot',
      '--signing-secret-env',
      'SLACK_SIGNING_SECRET',
    ]);
    expect(http.status, http.stderr).toBe(0);
    const whatsapp = carapace([
      'channels',
      'add',
      'whatsapp',
      '--account',
      'work',
      '--dm-policy',
      'allowlist',
    ]);
    expect(whatsapp.status, whatsapp.stderr).toBe(0);
    expect(whatsapp.stdout).toContain(
      'next: link the phone with carapace channels login whatsapp --account work',
    );

    const { channels } = await config();
    expect(channels.discord?.accounts.default).toEqual({
      enabled: true,
      botToken: { source: 'env', id: 'DISCORD_BOT_TOKEN' },
    });
    expect(channels.slack?.accounts).toEqual({
      acme: {
        enabled: true,
        mode: 'socket',
        botToken: { source: 'env', id: 'SLACK_BOT_TOKEN' },
        appToken: { source: 'file', path: '/run/slack-app' },
        allowFrom: ['U01', 'U02'],
      },
      web: {
        enabled: true,
        mode: 'http',
        botToken: { source: 'file', path: '/run/slack-bot' },
        signingSecret: { source: 'env', id: 'SLACK_SIGNING_SECRET' },
      },
    });
    expect(channels.whatsapp?.accounts.work).toEqual({ enabled: true, dmPolicy: 'allowlist' });

    // A linked device shows as such.
    await mkdir(join(dir, 'credentials', 'whatsapp', 'work'), { recursive: true });
    await writeFile(
      join(dir, 'credentials', 'whatsapp', 'work', 'creds.json'),
      JSON.stringify({ me: { id: '15551234567:3@s.whatsapp.net' } }),
    );
    const list = carapace(['channels', 'list']);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^discord\s+default\s+yes\s+env DISCORD_BOT_TOKEN\s+pairing\s+0\s+-$/m);
    expect(list.stdout).toMatch(
      /^slack\s+acme\s+yes\s+socket: bot env SLACK_BOT_TOKEN, app file \/run\/slack-app\s+pairing\s+2\s+-$/m,
    );
    expect(list.stdout).toMatch(
      /^slack\s+web\s+yes\s+http: bot file \/run\/slack-bot, signing env SLACK_SIGNING_SECRET\s+pairing\s+0\s+-$/m,
    );
    expect(list.stdout).toMatch(/^whatsapp\s+work\s+yes\s+linked \+15551234567\s+allowlist\s+0\s+-$/m);
    const json = JSON.parse(carapace(['channels', 'list', '--json']).stdout) as {
      accounts: { channel: string; accountId: string }[];
    };
    expect(json.accounts.map((a) => `${a.channel}/${a.accountId}`)).toEqual([
      'discord/default',
      'slack/acme',
      'slack/web',
      'whatsapp/work',
    ]);

    for (const [channel, account] of [
      ['discord', 'default'],
      ['slack', 'web'],
      ['whatsapp', 'work'],
    ]) {
      const run = carapace(['channels', 'remove', channel as string, '--account', account as string]);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toContain(`Removed channels.${channel}.accounts.${account}`);
    }
    const after = await config();
    expect(Object.keys(after.channels.discord?.accounts ?? {})).toEqual([]);
    expect(Object.keys(after.channels.slack?.accounts ?? {})).toEqual(['acme']);
    expect(Object.keys(after.channels.whatsapp?.accounts ?? {})).toEqual([]);
    expect(carapace(['channels', 'remove', 'slack', '--account', 'web']).stderr).toContain(
      "slack has no account 'web'",
    );
  });

  it('refuses an inline token (and flags of another channel) with exit 2 and writes nothing', async () => {
    const inline = carapace([
      'channels',
      'add',
      'slack',
      '--bot-token',
      'xoxb-111-222-abc',
      '--app-token-env',
      'A',
    ]);
    expect(inline.status).toBe(2);
    expect(inline.stderr).toContain(
      '--bot-token is refused: secrets are never given inline on the command line',
    );
    expect(inline.stderr).toContain('--bot-token-env <VAR> or --bot-token-file <path>');
    expect(inline.stderr).not.toContain('xoxb-111-222-abc');
    const discord = carapace(['channels', 'add', 'discord', '--token', 'MTIz.fake.token']);
    expect(discord.status).toBe(2);
    expect(discord.stderr).toContain("--token is the gateway's own auth token, not the bot's");
    const misplaced = carapace(['channels', 'add', 'discord', '--token-env', 'MTIz.fake.token']);
    expect(misplaced.status).toBe(2);
    expect(misplaced.stderr).toContain('the value of --token-env is not an environment variable name');
    expect(misplaced.stderr).not.toContain('MTIz.fake.token');
    const foreign = carapace(['channels', 'add', 'whatsapp', '--token-env', 'X']);
    expect(foreign.status).toBe(2);
    expect(foreign.stderr).toContain('--token-env is not for whatsapp');
    expect(carapace(['channels', 'add', 'slack', '--mode', 'webhook', '--bot-token-env', 'B']).status).toBe(
      2,
    );
    await expect(readFile(join(dir, 'carapace.json'), 'utf8')).rejects.toThrow(/ENOENT/);
  });
});
