import type { CliContext, StateFlags } from '../context.js';

/** Flags of `carapace gateway run`. */
export interface GatewayRunFlags extends StateFlags {
  port?: number;
  bind?: string;
}

/**
 * `carapace gateway run`: the gateway in the foreground until SIGINT/SIGTERM. The gateway module is
 * loaded only here, so the other commands stay fast. A startup error (a CarapaceError with a
 * user-ready message) propagates and is printed without a stack, exit status 1.
 */
export async function gatewayRun(_ctx: CliContext, flags: GatewayRunFlags): Promise<number> {
  const { runGateway } = await import('../../gateway/index.js');
  await runGateway({
    stateDir: flags.stateDir,
    configPath: flags.config,
    port: flags.port,
    bind: flags.bind,
  });
  return 0;
}
