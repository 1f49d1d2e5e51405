import type { ChannelManager } from '../../channels/index.js';
import { METHOD_SPECS, type SendParams, type SendResult } from '../../protocol/index.js';
import type { MethodRegistry } from '../registry.js';

/** What the channel methods use of the ChannelManager. */
export type ChannelsService = Pick<
  ChannelManager,
  'status' | 'logout' | 'send' | 'pairingList' | 'pairingApprove'
>;

export interface ChannelMethodDeps {
  channels: ChannelsService;
}

/**
 * `channels.status` (read), `channels.logout` (admin), `pairing.list` / `pairing.approve` (pairing) and
 * `send` (write; idempotent by `idempotencyKey`, which also keys the durable outbound chunks, so a retry
 * after a restart never shows the message twice).
 */
export function registerChannelMethods(registry: MethodRegistry, deps: ChannelMethodDeps): void {
  const { channels } = deps;

  registry.register('channels.status', {
    spec: METHOD_SPECS['channels.status'],
    handler: () => channels.status(),
  });

  registry.register('channels.logout', {
    spec: METHOD_SPECS['channels.logout'],
    handler: (p: { channel: string; accountId?: string }) => channels.logout(p.channel, p.accountId),
  });

  registry.register('pairing.list', {
    spec: METHOD_SPECS['pairing.list'],
    handler: async (p: { channel?: string }) => ({ requests: await channels.pairingList(p.channel) }),
  });

  registry.register('pairing.approve', {
    spec: METHOD_SPECS['pairing.approve'],
    handler: async (p: { channel: string; code: string; accountId?: string }) => ({
      ok: true as const,
      ...(await channels.pairingApprove(p)),
    }),
  });

  registry.register('send', {
    spec: METHOD_SPECS.send,
    idempotency: { required: true },
    handler: async (p: SendParams): Promise<SendResult> => {
      const sent = await channels.send({
        channel: p.channel,
        accountId: p.accountId,
        to: p.to,
        text: p.message,
        idempotencyKey: p.idempotencyKey,
      });
      return { runId: p.idempotencyKey, ...sent };
    },
  });
}
