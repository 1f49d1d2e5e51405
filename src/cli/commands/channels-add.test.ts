import { describe, expect, it } from 'vitest';
import { applyMergePatch, type ChannelsConfig, validateConfig } from '../../config/index.js';
import { buildAccountPatch, type ChannelsAddFlags, checkChannel } from './channels-add.js';

// The pure part of `carapace channels add`: the flags of each channel, checked and turned into the
// account entry. The CLI runs (files, gateway) are in channels-config.test.ts and channels-gateway.test.ts.

const patchOf = (channel: string, flags: ChannelsAddFlags, existing?: ChannelsConfig) =>
  buildAccountPatch(checkChannel(channel), 'default', flags, existing);

/** The usage error message `fn` throws (and that it is one: exit 2). */
function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT' });
    return (err as Error).message;
  }
  throw new Error('expected a usage error');
}

describe('buildAccountPatch', () => {
  it('discord: a bot token by reference, optional API URL; a relative file path is made absolute', () => {
    expect(
      patchOf('discord', { tokenEnv: 'DISCORD_BOT_TOKEN', dmPolicy: 'allowlist', allowFrom: '1, 2' }),
    ).toEqual({
      patch: {
        enabled: true,
        botToken: { source: 'env', id: 'DISCORD_BOT_TOKEN' },
        dmPolicy: 'allowlist',
        allowFrom: ['1', '2'],
      },
      envVars: ['DISCORD_BOT_TOKEN'],
    });
    const file = patchOf('discord', { tokenFile: 'secrets/discord', apiUrl: 'http://127.0.0.1:9/api' });
    expect(file.patch).toEqual({
      enabled: true,
      botToken: { source: 'file', path: `${process.cwd()}/secrets/discord` },
      apiUrl: 'http://127.0.0.1:9/api',
    });
    expect(file.envVars).toEqual([]);
    expect(patchOf('discord', { tokenFile: '~/.secrets/discord' }).patch.botToken).toEqual({
      source: 'file',
      path: '~/.secrets/discord',
    });
  });

  it('slack: socket mode takes bot and app tokens; http mode bot token and signing secret', () => {
    expect(patchOf('slack', { botTokenEnv: 'SLACK_BOT_TOKEN', appTokenEnv: 'SLACK_APP_TOKEN' })).toEqual({
      patch: {
        enabled: true,
        mode: 'socket',
        botToken: { source: 'env', id: 'SLACK_BOT_TOKEN' },
        appToken: { source: 'env', id: 'SLACK_APP_TOKEN' },
      },
      envVars: ['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN'],
    });
    expect(
      patchOf('slack', { mode: 'http', botTokenFile: '/run/bot', signingSecretEnv: 'SLACK_SIGNING_SECRET' })
        .patch,
    ).toEqual({
      enabled: true,
      mode: 'http',
      botToken: { source: 'file', path: '/run/bot' },
      signingSecret: { source: 'env', id: 'SLACK_SIGNING_SECRET' },
    });
    expect(usage(() => patchOf('slack', { botTokenEnv: 'B' }))).toContain(
      'app token (xapp-…, socket mode) as exactly one of --app-token-env <VAR> or --app-token-file <path>',
    );
    expect(usage(() => patchOf('slack', { mode: 'http', botTokenEnv: 'B' }))).toContain(
      '--signing-secret-env <VAR> or --signing-secret-file <path>',
    );
    expect(usage(() => patchOf('slack', { botTokenEnv: 'B', appTokenEnv: 'A', signingSecretEnv: 'S' }))).toBe(
      'the signing secret is for --mode http; socket mode takes the app token',
    );
    expect(usage(() => patchOf('slack', { mode: 'http', botTokenEnv: 'B', appTokenEnv: 'A' }))).toBe(
      'the app token is for socket mode; --mode http takes the signing secret',
    );
  });

  it('whatsapp: no secret at all, only the policy', () => {
    expect(patchOf('whatsapp', { allowFrom: '+15551234567' })).toEqual({
      patch: { enabled: true, allowFrom: ['+15551234567'] },
      envVars: [],
    });
  });

  it('every entry it builds is a valid account of its channel', () => {
    const entries = {
      telegram: patchOf('telegram', { tokenEnv: 'T' }).patch,
      discord: patchOf('discord', { tokenEnv: 'D' }).patch,
      slack: patchOf('slack', { botTokenEnv: 'B', appTokenFile: '/a' }).patch,
      whatsapp: patchOf('whatsapp', {}).patch,
    };
    const channels = Object.fromEntries(
      Object.entries(entries).map(([channel, entry]) => [channel, { accounts: { default: entry } }]),
    );
    expect(validateConfig({ channels })).toMatchObject({ ok: true });
  });

  it('refuses inline secrets with a message naming the reference flags instead', () => {
    const slack = usage(() => patchOf('slack', { botToken: 'xoxb-1-2-3', appTokenEnv: 'A' }));
    expect(slack).toContain('--bot-token is refused: secrets are never given inline on the command line');
    expect(slack).toContain('pass --bot-token-env <VAR> or --bot-token-file <path>');
    expect(slack).not.toContain('xoxb-1-2-3');
    expect(usage(() => patchOf('slack', { botTokenEnv: 'B', appToken: 'xapp-1' }))).toContain(
      '--app-token-env <VAR> or --app-token-file <path>',
    );
    expect(usage(() => patchOf('discord', { botToken: 'MTIz.abc.def' }))).toContain(
      'pass --token-env <VAR> or --token-file <path>',
    );
    // `--token` is the gateway's auth token: a bot token put there is caught as a missing reference.
    expect(usage(() => patchOf('discord', { token: 'MTIz.abc.def' }))).toContain(
      "--token is the gateway's own auth token, not the bot's: a secret never goes on the command line",
    );
    // A token typed as the variable name is refused without being echoed.
    const named = usage(() => patchOf('telegram', { tokenEnv: '123456:ABC-def' }));
    expect(named).toContain('the value of --token-env is not an environment variable name');
    expect(named).not.toContain('123456:ABC-def');
  });

  it("refuses another channel's flags and doubled or missing references", () => {
    expect(usage(() => patchOf('slack', { tokenEnv: 'X' }))).toMatch(
      /^--token-env is not for slack: it takes --bot-token-env, --bot-token-file/,
    );
    expect(usage(() => patchOf('whatsapp', { tokenEnv: 'X', apiUrl: 'http://x' }))).toBe(
      '--token-env, --api-url are not for whatsapp: it has no token: link it with `carapace channels login whatsapp` after adding it',
    );
    expect(usage(() => patchOf('telegram', { tokenEnv: 'X', mode: 'http' }))).toContain(
      '--mode is not for telegram',
    );
    expect(usage(() => patchOf('discord', { tokenEnv: 'X', apiRoot: 'http://x' }))).toContain(
      '--api-root is not for discord',
    );
    expect(usage(() => patchOf('discord', { tokenEnv: 'X', tokenFile: '/f' }))).toContain('exactly one of');
    expect(usage(() => patchOf('discord', { tokenFile: ' ' }))).toBe('--token-file must not be empty');
    expect(usage(() => checkChannel('irc'))).toBe(
      "unknown channel 'irc' (known: telegram, discord, slack, whatsapp)",
    );
  });

  it('switching a reference from env to file (or back) removes the old key, so the merge stays valid', () => {
    const existing = {
      discord: { enabled: true, accounts: { default: { botToken: { source: 'env', id: 'OLD' } } } },
    } as unknown as ChannelsConfig;
    expect(patchOf('discord', { tokenFile: '/run/d' }, existing).patch.botToken).toEqual({
      source: 'file',
      path: '/run/d',
      id: null,
    });
    const back = {
      discord: { enabled: true, accounts: { default: { botToken: { source: 'file', path: '/run/d' } } } },
    } as unknown as ChannelsConfig;
    expect(patchOf('discord', { tokenEnv: 'NEW' }, back).patch.botToken).toEqual({
      source: 'env',
      id: 'NEW',
      path: null,
    });
    const account = (existing.discord.accounts as Record<string, unknown>).default;
    const merged = applyMergePatch(account, patchOf('discord', { tokenFile: '/run/d' }, existing).patch);
    expect(merged).toEqual({ enabled: true, botToken: { source: 'file', path: '/run/d' } });
    expect(validateConfig({ channels: { discord: { accounts: { default: merged } } } })).toMatchObject({
      ok: true,
    });
    expect(patchOf('discord', { tokenEnv: 'SAME' }, existing).patch.botToken).toEqual({
      source: 'env',
      id: 'SAME',
    });
  });
});
