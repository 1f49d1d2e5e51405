import type { AccountStats } from './account.js';
import type { AccountStatus } from './contract.js';

/** One account in `channels.status`: the adapter's view plus pipeline counters. */
export type AccountStatusView = AccountStatus & { stats?: AccountStats };

/** The `channels.status` payload. */
export interface ChannelsStatus {
  ts: number;
  channels: Record<string, { configured: boolean; running: boolean; connected: boolean; accounts: number }>;
  channelAccounts: Record<string, AccountStatusView[]>;
}

export interface ChannelSendRequest {
  channel?: string | undefined;
  accountId?: string | undefined;
  to: string;
  text: string;
  /** Same key, same message: delivered once, even across a restart. */
  idempotencyKey?: string | undefined;
}

export interface ChannelSendResult {
  channel: string;
  accountId: string;
  to: string;
  /** The platform id of the last chunk. */
  messageId: string;
  messageIds: string[];
  chunks: number;
}

/** A pending pairing request as `pairing.list` shows it. */
export interface PairingListEntry {
  channel: string;
  accountId: string;
  code: string;
  senderId: string;
  senderName?: string;
  createdAt: number;
  expiresAt: number;
}

export interface PairingApproveResult {
  channel: string;
  accountId: string;
  senderId: string;
  senderName?: string;
  approvedAt: number;
}
