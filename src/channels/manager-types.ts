import type { AccountStats } from './account.js';
import type { AccountStatus } from './contract.js';

/** Outbound delivery as the durable queue holds it (survives restarts; bounded by the queue's history). */
export interface DeliveryCounts {
  /** Chunks waiting to be sent (queued, sending or backing off after a failure). */
  pending: number;
  /** Messages that finally failed (the platform refused them or retries ran out). */
  failed: number;
  /** Messages whose outcome is unknown (a lost response; not resent to avoid a duplicate). */
  unknown: number;
  /** When the newest failure happened. */
  lastFailedAt?: number;
}

/**
 * One account in `channels.status`: the adapter's view plus pipeline counters and delivery counts.
 * `lastError` is the newest of the adapter's error (connection) and the last failed delivery
 * (`delivery failed: …`).
 */
export type AccountStatusView = AccountStatus & { stats?: AccountStats & DeliveryCounts };

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
