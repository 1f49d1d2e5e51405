import { FakeSlack } from '../../../test/fakes/fake-slack.js';
import { validateConfig } from '../../config/index.js';
import { systemClock } from '../../shared/index.js';
import { channelContractSuite } from '../contract-suite.js';
import { SlackAdapter } from './adapter.js';
import { slackTextToPlain } from './format.js';

channelContractSuite('slack (Bolt in socket mode against a fake Web API + socket)', async () => {
  const fake = await FakeSlack.start();
  const r = validateConfig({
    channels: {
      slack: {
        accounts: { default: { botToken: fake.botToken, appToken: fake.appToken, apiUrl: fake.apiUrl } },
      },
    },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  const config = r.config;
  const account = () => {
    const a = config.channels.slack.accounts.default;
    if (!a) throw new Error('no account');
    return a;
  };
  const adapter = new SlackAdapter({
    config: () => config.channels.slack,
    resolveToken: async (ref) => (typeof ref === 'string' ? ref : ''),
    clock: systemClock,
    sleep: async () => {},
  });
  return {
    adapter,
    accountId: 'default',
    config,
    // The suite speaks of groups; a Slack account allowlists channels.
    setPolicy: (p) => {
      const { groups, ...rest } = p;
      Object.assign(account(), rest);
      if (groups) account().channels = { ...groups };
    },
    dm: async (from, text, opts) => fake.dm(from, text, opts?.messageId ? { ts: opts.messageId } : {}),
    group: async (groupId, from, text, opts) =>
      fake.channelMessage({
        channel: groupId,
        from,
        text,
        mentionBot: opts?.mention === true,
        ...(opts?.messageId ? { ts: opts.messageId } : {}),
      }),
    visible: () =>
      fake.visible.map((m) => ({
        to: m.user ?? m.channel,
        text: slackTextToPlain(m.text),
        messageId: m.ts,
        ...(m.threadTs !== undefined ? { replyTo: m.threadTs } : {}),
      })),
    typingCount: () => 0,
    close: () => fake.close(),
  };
});
