import { FakeTelegram, parseTelegramHtml } from '../../../test/fakes/fake-telegram.js';
import { validateConfig } from '../../config/index.js';
import { systemClock } from '../../shared/index.js';
import { channelContractSuite } from '../contract-suite.js';
import { TelegramAdapter } from './adapter.js';

channelContractSuite('telegram (grammY against a fake Bot API)', async () => {
  const fake = await FakeTelegram.start();
  const r = validateConfig({
    channels: { telegram: { accounts: { default: { botToken: fake.token, apiRoot: fake.apiRoot } } } },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  const config = r.config;
  const account = () => {
    const a = config.channels.telegram.accounts.default;
    if (!a) throw new Error('no account');
    return a;
  };
  const adapter = new TelegramAdapter({
    config: () => config.channels.telegram,
    resolveToken: async (ref) => (typeof ref === 'string' ? ref : ''),
    clock: systemClock,
    sleep: async () => {},
    pollTimeoutSeconds: 1,
  });
  const user = (from: { id: string; name?: string }) => ({
    id: Number(from.id),
    first_name: from.name ?? `User ${from.id}`,
  });
  return {
    adapter,
    accountId: 'default',
    config,
    setPolicy: (p) => Object.assign(account(), p),
    dm: async (from, text, opts) =>
      String(
        fake.userMessage({
          from: user(from),
          text,
          ...(opts?.messageId ? { messageId: Number(opts.messageId) } : {}),
        }),
      ),
    group: async (groupId, from, text, opts) =>
      String(
        fake.userMessage({
          from: user(from),
          text,
          chat: { id: Number(groupId), type: 'supergroup', title: 'Test group' },
          mentionBot: opts?.mention === true,
          ...(opts?.messageId ? { messageId: Number(opts.messageId) } : {}),
        }),
      ),
    visible: () =>
      fake.visible.map((m) => ({
        to: m.chatId,
        text: m.parseMode === 'HTML' ? (parseTelegramHtml(m.text) ?? m.text) : m.text,
        messageId: String(m.messageId),
        ...(m.replyTo !== undefined ? { replyTo: String(m.replyTo) } : {}),
      })),
    typingCount: () => fake.chatActions.filter((a) => a.action === 'typing').length,
    close: () => fake.close(),
  };
});
