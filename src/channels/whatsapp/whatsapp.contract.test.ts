import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../config/index.js';
import { systemClock } from '../../shared/index.js';
import { channelContractSuite } from '../contract-suite.js';
import { WhatsAppAdapter } from './adapter.js';
import { idOfJid } from './jid.js';
import { dmMessage, fakeSocketFactory, groupMessage, linkDevice, SELF } from './test-support.js';

channelContractSuite('whatsapp (Baileys event interface over a fake socket)', async () => {
  const credentialsDir = await mkdtemp(join(tmpdir(), 'carapace-wa-contract-'));
  await linkDevice(credentialsDir, 'default');
  const r = validateConfig({ channels: { whatsapp: { accounts: { default: {} } } } });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  const config = r.config;
  const account = () => {
    const a = config.channels.whatsapp.accounts.default;
    if (!a) throw new Error('no account');
    return a;
  };
  const fake = fakeSocketFactory({ autoOpen: true });
  const adapter = new WhatsAppAdapter({
    config: () => config.channels.whatsapp,
    credentialsDir,
    clock: systemClock,
    sleep: async () => {},
    socketFactory: fake.factory,
  });
  const live = () => {
    const s = fake.sockets.at(-1);
    if (!s) throw new Error('no socket yet');
    return s;
  };
  return {
    adapter,
    accountId: 'default',
    config,
    setPolicy: (p) => Object.assign(account(), p),
    dm: async (from, text, opts) => {
      const msg = dmMessage(from.id, text, {
        ...(opts?.messageId ? { id: opts.messageId } : {}),
        ...(from.name ? { name: from.name } : {}),
      });
      live().upsert(msg);
      return msg.key.id ?? '';
    },
    group: async (groupId, from, text, opts) => {
      const msg = groupMessage(groupId, from.id, text, {
        ...(opts?.messageId ? { id: opts.messageId } : {}),
        ...(from.name ? { name: from.name } : {}),
        ...(opts?.mention ? { mention: [SELF.id.replace(/:\d+@/, '@')] } : {}),
      });
      live().upsert(msg);
      return msg.key.id ?? '';
    },
    visible: () =>
      fake.sockets.flatMap((s) =>
        s.sent.flatMap((m) =>
          'text' in m.content
            ? [
                {
                  to: idOfJid(m.jid),
                  text: m.content.text,
                  messageId: m.id,
                  ...(m.quotedId ? { replyTo: m.quotedId } : {}),
                },
              ]
            : [],
        ),
      ),
    typingCount: () =>
      fake.sockets.reduce((n, s) => n + s.presence.filter((p) => p.type === 'composing').length, 0),
    close: () => rm(credentialsDir, { recursive: true, force: true }),
  };
});
