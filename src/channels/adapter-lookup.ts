import { CarapaceError } from '../shared/index.js';
import type { ChannelAdapter } from './contract.js';

/**
 * The adapter a request names (CHANNEL_NOT_FOUND when unknown); with no name, the only adapter that has
 * enabled accounts (CHANNEL_REQUIRED when none or several have).
 */
export function adapterOf(
  adapters: ReadonlyMap<string, ChannelAdapter>,
  channel: string | undefined,
): ChannelAdapter {
  if (channel) {
    const adapter = adapters.get(channel);
    if (!adapter) {
      throw new CarapaceError(
        'CHANNEL_NOT_FOUND',
        `unknown channel '${channel}' (known: ${[...adapters.keys()].join(', ')})`,
        { details: { channel } },
      );
    }
    return adapter;
  }
  const withAccounts = [...adapters.values()].filter((a) => a.accountIds().length > 0);
  if (withAccounts.length === 1 && withAccounts[0]) return withAccounts[0];
  throw new CarapaceError(
    'CHANNEL_REQUIRED',
    `name a channel (configured: ${withAccounts.map((a) => a.channel).join(', ') || 'none'})`,
  );
}

/**
 * The enabled account a request names (CHANNEL_ACCOUNT_NOT_FOUND when it is not enabled); with no id,
 * `default` if enabled, else the first enabled account.
 */
export function accountOf(adapter: ChannelAdapter, accountId: string | undefined): string {
  const ids = adapter.accountIds();
  if (accountId !== undefined) {
    if (ids.includes(accountId)) return accountId;
    throw new CarapaceError(
      'CHANNEL_ACCOUNT_NOT_FOUND',
      `${adapter.channel} has no enabled account '${accountId}' (accounts: ${ids.join(', ') || 'none'})`,
      { details: { channel: adapter.channel, accountId } },
    );
  }
  const chosen = ids.includes('default') ? 'default' : ids[0];
  if (chosen === undefined) {
    throw new CarapaceError('CHANNEL_ACCOUNT_NOT_FOUND', `${adapter.channel} has no enabled account`, {
      details: { channel: adapter.channel },
    });
  }
  return chosen;
}
