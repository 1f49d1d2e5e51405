import type { ConnectionFlags } from '../connection.js';
import { type CliContext, printError, type StateFlags, usageError, withGateway } from '../context.js';
import { formatJson } from '../format.js';

/** Flags of `carapace gateway call`. */
export interface GatewayCallFlags extends ConnectionFlags, StateFlags {
  params?: string;
  expectFinal?: boolean;
  json?: boolean;
  timeout?: number;
}

/** Parse `--params`: a JSON object, or a usage error that says what is wrong with it. */
export function parseParams(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw usageError(`--params is not valid JSON (${why}); expected an object such as '{"limit":10}'`, {
      params: text,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw usageError(`--params must be a JSON object, got ${kind}; e.g. '{"limit":10}'`, { params: text });
  }
  return value as Record<string, unknown>;
}

/**
 * `carapace gateway call <method>`: print the payload as JSON (pretty, or one line with --json).
 * A gateway error prints its message, code and details on stderr and exits 1.
 */
export async function gatewayCall(ctx: CliContext, method: string, flags: GatewayCallFlags): Promise<number> {
  const params = parseParams(flags.params);
  return withGateway(ctx, flags, async (client) => {
    try {
      const payload = await client.call(method, params, {
        expectFinal: flags.expectFinal ?? false,
        ...(flags.timeout ? { timeoutMs: flags.timeout } : {}),
      });
      ctx.io.out(formatJson(payload, flags.json ?? false));
      return 0;
    } catch (err) {
      printError(ctx, err, true);
      return 1;
    }
  });
}
