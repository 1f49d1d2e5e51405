import pc from 'picocolors';
import type { SendResult } from '../../protocol/index.js';
import { CarapaceError, isCarapaceError, newId } from '../../shared/index.js';
import { ClientErrorCode } from '../client/index.js';
import type { ConnectionFlags } from '../connection.js';
import { type CliContext, type StateFlags, usageError, withGateway } from '../context.js';
import { formatJson } from '../format.js';

/** Flags of `carapace message send`. */
export interface MessageSendFlags extends ConnectionFlags, StateFlags {
  channel?: string;
  account?: string;
  to: string;
  text: string;
  idempotencyKey?: string;
  timeout?: number;
  json?: boolean;
}

/** How long `message send` waits by default: deliveries retry with backoff and honour 429 waits. */
const DEFAULT_TIMEOUT_S = 600;

/**
 * `carapace message send --to T --text X [--channel C] [--account A]`: deliver a message on a channel
 * without an agent run (`send`). The gateway chunks it at the platform's limit and sends it through the
 * durable queue; the command waits until every chunk is delivered or has finally failed (exit 1).
 */
export async function messageSend(ctx: CliContext, flags: MessageSendFlags): Promise<number> {
  if (!flags.text.trim()) throw usageError('--text is empty');
  const params = {
    to: flags.to,
    message: flags.text,
    idempotencyKey: flags.idempotencyKey ?? newId(),
    ...(flags.channel ? { channel: flags.channel } : {}),
    ...(flags.account ? { accountId: flags.account } : {}),
  };
  return withGateway(ctx, flags, async (client) => {
    const result = await client
      .call<SendResult>('send', params, { timeoutMs: (flags.timeout ?? DEFAULT_TIMEOUT_S) * 1000 })
      .catch((err: unknown) => {
        if (!isCarapaceError(err, ClientErrorCode.timeout)) throw err;
        throw new CarapaceError(
          err.code,
          `${err.message}; the gateway keeps delivering the message in the background (see \`carapace channels status\`)`,
          { cause: err },
        );
      });
    if (flags.json) {
      ctx.io.out(formatJson(result, true));
      return 0;
    }
    const parts =
      result.chunks === 1 ? '1 message' : `${result.chunks} messages (split at the platform's limit)`;
    ctx.io.out(`${pc.green('sent')} to ${result.channel}/${result.accountId} → ${result.to}: ${parts}\n`);
    ctx.io.out(
      pc.dim(`message id${result.messageIds.length === 1 ? '' : 's'}: ${result.messageIds.join(', ')}\n`),
    );
    return 0;
  });
}
