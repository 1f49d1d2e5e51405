import type { AccountRuntime } from './account.js';
import type { AccountStatus, ChannelAdapter } from './contract.js';
import type { AccountStatusView, ChannelsStatus } from './manager-types.js';

/**
 * One account as `channels.status` shows it: the adapter's view plus, once the account is open, its
 * pipeline counters and delivery counts. `lastError` becomes the last failed delivery when that is newer.
 */
export function accountStatusView(s: AccountStatus, rt: AccountRuntime | undefined): AccountStatusView {
  if (!rt) return s;
  const { lastFailure, ...counts } = rt.queue.summary();
  const view: AccountStatusView = { ...s, stats: { ...rt.stats, ...counts } };
  if (lastFailure && view.stats) {
    view.stats.lastFailedAt = lastFailure.at;
    if (lastFailure.at >= (s.lastErrorAt ?? 0)) {
      const what = lastFailure.state === 'failed' ? 'delivery failed' : 'delivery outcome unknown';
      view.lastError = `${what}: ${lastFailure.error}`;
      view.lastErrorAt = lastFailure.at;
    }
  }
  view.lastInboundAt = Math.max(s.lastInboundAt ?? 0, rt.stats.lastInboundAt ?? 0) || undefined;
  view.lastOutboundAt = Math.max(s.lastOutboundAt ?? 0, rt.stats.lastOutboundAt ?? 0) || undefined;
  if (view.lastInboundAt === undefined) delete view.lastInboundAt;
  if (view.lastOutboundAt === undefined) delete view.lastOutboundAt;
  return view;
}

/**
 * The `channels.status` payload at `ts`: every adapter with accounts (Telegram always), its accounts'
 * views (`opened` gives an account's runtime if it is open) and per-channel any-of flags.
 */
export function channelsStatus(
  adapters: Iterable<ChannelAdapter>,
  opened: (channel: string, accountId: string) => AccountRuntime | undefined,
  ts: number,
): ChannelsStatus {
  const out: ChannelsStatus = { ts, channels: {}, channelAccounts: {} };
  for (const adapter of adapters) {
    const accounts = adapter.status().map((s) => accountStatusView(s, opened(adapter.channel, s.accountId)));
    if (accounts.length === 0 && adapter.channel !== 'telegram') continue;
    out.channelAccounts[adapter.channel] = accounts;
    out.channels[adapter.channel] = {
      configured: accounts.some((a) => a.configured),
      running: accounts.some((a) => a.running),
      connected: accounts.some((a) => a.connected),
      accounts: accounts.length,
    };
  }
  return out;
}
