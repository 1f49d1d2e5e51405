import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gateway } from '../../src/gateway/index.js';

export interface Harness {
  gateway: Gateway;
  stateDir: string;
  url: string;
  token: string | undefined;
  restart(): Promise<Gateway>;
  cleanup(): Promise<void>;
}

/** A temp state dir (optionally with a carapace.json), for tests that start gateways themselves. */
export async function tempStateDir(config?: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'carapace-test-'));
  if (config) await writeFile(join(dir, 'carapace.json'), JSON.stringify(config, null, 2), { mode: 0o600 });
  return dir;
}

/** Start a real gateway on 127.0.0.1:0 with its own temp state dir and an environment of only PATH. */
export async function startGateway(
  config?: Record<string, unknown>,
  env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' },
): Promise<Harness> {
  const stateDir = await tempStateDir(config);
  const start = () => Gateway.start({ stateDir, port: 0, env });
  const h: Harness = {
    gateway: await start(),
    stateDir,
    get url() {
      return h.gateway.url;
    },
    get token() {
      return h.gateway.secret;
    },
    async restart() {
      await h.gateway.stop('test restart');
      h.gateway = await start();
      return h.gateway;
    },
    async cleanup() {
      await h.gateway.stop('test done');
      await rm(stateDir, { recursive: true, force: true });
    },
  };
  return h;
}
