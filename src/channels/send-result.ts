import { CarapaceError } from '../shared/index.js';
import type { ChannelSendResult } from './manager-types.js';
import type { QueuedChunk } from './outbound-queue.js';

/**
 * What a `send` returns for its delivered chunks, or the error that says why it did not arrive:
 * CHANNEL_SEND_FAILED (refused, out of retries, or left unsent behind a failed chunk) or
 * CHANNEL_DELIVERY_UNKNOWN (an answer was lost; not resent, to avoid a duplicate).
 */
export function sendResult(
  channel: string,
  accountId: string,
  to: string,
  chunks: readonly QueuedChunk[],
): ChannelSendResult {
  const failed = chunks.find((c) => c.state === 'failed' || c.state === 'queued' || c.state === 'sending');
  if (failed) {
    throw new CarapaceError(
      'CHANNEL_SEND_FAILED',
      `${channel} send failed: ${failed.error ?? 'not delivered'}`,
      {
        details: { channel, accountId, to, chunk: failed.index, of: failed.count },
      },
    );
  }
  const unknown = chunks.find((c) => c.state === 'unknown');
  if (unknown) {
    throw new CarapaceError(
      'CHANNEL_DELIVERY_UNKNOWN',
      `${channel} send: the platform's answer was lost; the message may or may not have arrived (not resent, to avoid a duplicate)`,
      { details: { channel, accountId, to, chunk: unknown.index, of: unknown.count } },
    );
  }
  const messageIds = chunks.map((c) => c.messageId ?? '');
  return { channel, accountId, to, messageId: messageIds.at(-1) ?? '', messageIds, chunks: chunks.length };
}
