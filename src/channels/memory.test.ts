import { validateConfig } from '../config/index.js';
import { channelContractSuite } from './contract-suite.js';
import { MemoryChannelAdapter } from './memory.js';

function defaults() {
  const r = validateConfig({});
  if (!r.ok) throw new Error('default config is invalid');
  return r.config;
}

channelContractSuite('memory', async () => {
  const adapter = new MemoryChannelAdapter({ accounts: { default: {} }, textLimit: 200 });
  return {
    adapter,
    accountId: 'default',
    config: defaults(),
    setPolicy: (p) => adapter.setPolicy('default', p),
    dm: async (from, text, opts) => {
      const messageId = opts?.messageId ?? `m-${Math.random().toString(36).slice(2)}`;
      await adapter.receive('default', {
        from: from.id,
        text,
        messageId,
        ...(from.name ? { name: from.name } : {}),
      });
      return messageId;
    },
    group: async (groupId, from, text, opts) => {
      const messageId = opts?.messageId ?? `g-${Math.random().toString(36).slice(2)}`;
      await adapter.receive('default', {
        from: from.id,
        text,
        group: groupId,
        messageId,
        mentionsBot: opts?.mention === true,
        ...(from.name ? { name: from.name } : {}),
      });
      return messageId;
    },
    visible: () =>
      adapter.visible.map((m) => ({
        to: m.to,
        text: m.text,
        messageId: m.messageId,
        ...(m.replyTo ? { replyTo: m.replyTo } : {}),
      })),
    typingCount: () => adapter.typings.length,
    close: async () => {},
  };
});
