import { setFlagsFromString } from 'node:v8';
import { Gateway, type GatewayStartOptions } from './gateway.js';

/**
 * V8's heap grows by a factor of up to 4 after each major collection when allocation is fast. Under many
 * concurrent turns most of what a turn allocates lives across awaits, is promoted and dies in the old
 * space, so the gateway ended up keeping ~250 MB committed around ~45 MB of live objects, and V8 rarely
 * handed it back. Growing by 20 % per step keeps the committed heap near what is live (bench/README.md:
 * peak RSS over 10,000 turns 370 → 182 MB, no loss of throughput). Process-wide, so set only by the
 * gateway's own process, before it allocates.
 */
const HEAP_FLAGS = '--heap-growing-percent=20';

/**
 * `carapace gateway run`: start in the foreground, print where to connect, and on SIGINT/SIGTERM drain
 * and resolve. A second signal exits at once. Startup errors propagate (the CLI prints them).
 */
export async function runGateway(options: GatewayStartOptions = {}): Promise<void> {
  setFlagsFromString(HEAP_FLAGS);
  const gateway = await Gateway.start(options);
  const out = process.stdout;
  out.write(`Carapace gateway ${gateway.url} (pid ${process.pid})\n`);
  out.write(
    `  WebChat   http://${gateway.url.slice(5)}/  (sign in with the token from the token file below)\n`,
  );
  out.write(`  HTTP      health: /healthz, readiness: /readyz\n`);
  out.write(`  state     ${gateway.paths.stateDir}\n`);
  if (gateway.secret)
    out.write(`  auth      ${gateway.config.gateway.auth.mode} (token file: ${gateway.paths.tokenPath})\n`);
  out.write(`  logs      ${gateway.logFile}\n`);
  await new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) process.exit(130);
      out.write(`\n${signal}: draining …\n`);
      gateway.stop(`received ${signal}`).then(resolve, resolve);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
