import { CarapaceError } from '../shared/index.js';
import type { PairingApproveResult, PairingListEntry } from './manager-types.js';
import type { ApprovedSender, PairingStore } from './pairing.js';

/**
 * How pairing shows up in `pairing.list` / `pairing.approve`, shared by the live manager and the
 * gateway-less path (pairing-local.ts), so both answer alike.
 */

/** The live pending codes of one account, oldest first, as `pairing.list` entries. */
export function pendingEntries(channel: string, accountId: string, store: PairingStore): PairingListEntry[] {
  return store.pending().map((p) => {
    const entry: PairingListEntry = {
      channel,
      accountId,
      code: p.code,
      senderId: p.senderId,
      createdAt: p.createdAt,
      expiresAt: p.expiresAt,
    };
    if (p.senderName) entry.senderName = p.senderName;
    return entry;
  });
}

/** The `pairing.approve` result for a sender approved on `channel`/`accountId`. */
export function approveResult(
  channel: string,
  accountId: string,
  approved: ApprovedSender,
): PairingApproveResult {
  const result: PairingApproveResult = {
    channel,
    accountId,
    senderId: approved.id,
    approvedAt: approved.approvedAt,
  };
  if (approved.name) result.senderName = approved.name;
  return result;
}

/** PAIRING_CODE_NOT_FOUND: no account of `channel` holds a live `code`. */
export function pairingCodeNotFound(channel: string, code: string): CarapaceError {
  return new CarapaceError(
    'PAIRING_CODE_NOT_FOUND',
    `no pending pairing code '${code}' on ${channel} (codes expire after an hour)`,
    { details: { channel } },
  );
}
