import type { HealthResult, StatusResult } from '../../protocol/index.js';
import type { ConnectionFlags } from '../connection.js';
import { type CliContext, type StateFlags, withGateway } from '../context.js';
import { formatHealth, formatJson, formatStatus } from '../format.js';

/** Flags of `carapace health` and `carapace status`. */
export interface SummaryFlags extends ConnectionFlags, StateFlags {
  json?: boolean;
}

/** `carapace health`: a short summary, or the raw payload with --json. Exit 1 when the gateway is not ok. */
export async function health(ctx: CliContext, flags: SummaryFlags): Promise<number> {
  return withGateway(ctx, flags, async (client) => {
    const payload = await client.call<Partial<HealthResult>>('health');
    ctx.io.out(flags.json ? formatJson(payload, true) : formatHealth(client.url, payload));
    return payload?.ok === false ? 1 : 0;
  });
}

/** `carapace status`: what is running where, or the raw payload with --json. */
export async function status(ctx: CliContext, flags: SummaryFlags): Promise<number> {
  return withGateway(ctx, flags, async (client) => {
    const payload = await client.call<Partial<StatusResult>>('status');
    ctx.io.out(flags.json ? formatJson(payload, true) : formatStatus(client.url, payload));
    return 0;
  });
}
