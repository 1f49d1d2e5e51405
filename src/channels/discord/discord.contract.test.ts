import { FakeDiscord } from '../../../test/fakes/fake-discord.js';
import { type DiscordGuild, validateConfig } from '../../config/index.js';
import { systemClock } from '../../shared/index.js';
import { channelContractSuite } from '../contract-suite.js';
import { DiscordAdapter } from './adapter.js';

const GUILD = '900000000000000001';

channelContractSuite('discord (@discordjs/core against a fake REST + gateway)', async () => {
  const fake = await FakeDiscord.start({ heartbeatIntervalMs: 500 });
  const r = validateConfig({
    channels: {
      discord: {
        accounts: {
          default: { botToken: fake.token, apiUrl: fake.apiUrl, gatewayUrl: fake.gatewayUrl },
        },
      },
    },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  const config = r.config;
  const account = () => {
    const a = config.channels.discord.accounts.default;
    if (!a) throw new Error('no account');
    return a;
  };
  const adapter = new DiscordAdapter({
    config: () => config.channels.discord,
    resolveToken: async (ref) => (typeof ref === 'string' ? ref : ''),
    clock: systemClock,
    sleep: async () => {},
  });
  const user = (from: { id: string; name?: string }) => ({
    id: from.id,
    username: `user${from.id}`,
    ...(from.name ? { global_name: from.name } : {}),
  });
  return {
    adapter,
    accountId: 'default',
    config,
    // The suite speaks of groups; a Discord account allowlists guilds (every suite group is in one guild).
    setPolicy: (p) => {
      const { groups, ...rest } = p;
      Object.assign(account(), rest);
      if (groups) account().guilds = groups as Record<string, DiscordGuild>;
    },
    dm: async (from, text, opts) =>
      fake.dm(user(from), text, opts?.messageId ? { messageId: opts.messageId } : {}),
    group: async (groupId, from, text, opts) =>
      fake.guildMessage({
        guildId: GUILD,
        channelId: groupId,
        from: user(from),
        content: text,
        mentionBot: opts?.mention === true,
        ...(opts?.messageId ? { messageId: opts.messageId } : {}),
      }),
    visible: () =>
      fake.visible.map((m) => ({
        to: m.recipientId ?? m.channelId,
        text: m.content,
        messageId: m.messageId,
        ...(m.replyTo !== undefined ? { replyTo: m.replyTo } : {}),
      })),
    typingCount: () => fake.typing.length,
    close: () => fake.close(),
  };
});
