import type { Config, StatePaths } from '../config/index.js';
import { CloseCode } from '../protocol/index.js';
import { CarapaceError, isLoopbackAddress } from '../shared/index.js';
import { type GatewaySecret, resolveGatewaySecret, secretFilePath, watchSecretFile } from './auth.js';
import type { Connection } from './connection.js';

/** Auth may be off only on loopback: listening elsewhere without a secret fails with `UNSAFE_BIND`. */
export function refuseOpenBind(host: string, mode: GatewaySecret['mode']): void {
  if (mode === 'none' && !isLoopbackAddress(host)) {
    throw new CarapaceError(
      'UNSAFE_BIND',
      `refusing to listen on ${host} without auth: set gateway.auth.mode to 'token' or 'password', or bind to loopback`,
    );
  }
}

/** What the live secret needs from the gateway that holds it. */
export interface SecretHolderDeps {
  config(): Config;
  paths(): StatePaths;
  /** The environment secret refs resolve in (read on each use). */
  env(): NodeJS.ProcessEnv;
  /** The gateway's connections (those made with an old secret are closed after a rotation). */
  connections(): Iterable<Connection>;
  /** The secret file changed but could not be read (the running secret stays). */
  onWatchError(err: unknown): void;
}

/**
 * The gateway's shared secret while it runs: resolved from the config, followed on disk, and rotated
 * with a generation number so connections made with an old secret can be told apart and closed.
 */
export class SecretHolder {
  #secret: GatewaySecret = { mode: 'none' };
  #generation = 0;
  /** Watches the file the secret comes from (a token rotated by replacing its file applies at once). */
  #watch: { path: string; stop: () => void } | undefined;

  constructor(private readonly deps: SecretHolderDeps) {}

  /** The secret and the generation a connect is checked against. */
  get current(): { secret: GatewaySecret; generation: number } {
    return { secret: this.#secret, generation: this.#generation };
  }

  get mode(): GatewaySecret['mode'] {
    return this.#secret.mode;
  }

  /** The shared secret clients must present (undefined when auth is off). */
  get value(): string | undefined {
    return this.#secret.mode === 'none' ? undefined : this.#secret.value;
  }

  /** Resolve the secret the config names (at start, before anything listens). */
  async load(): Promise<void> {
    this.#secret = await resolveGatewaySecret(this.deps.config(), this.deps.paths(), this.deps.env());
  }

  /** Follow the file the secret is read from (re-aimed when the config names another one). */
  watch(): void {
    const path = secretFilePath(this.deps.config(), this.deps.paths(), this.deps.env());
    if (path === this.#watch?.path) return;
    this.#watch?.stop();
    this.#watch = undefined;
    if (path === undefined) return;
    const stop = watchSecretFile(path, () => {
      this.rotate().catch((err) => this.deps.onWatchError(err));
    });
    this.#watch = { path, stop };
  }

  /** A new secret: new connects must use it and connections made with the old one are closed. */
  async rotate(): Promise<void> {
    this.watch();
    const next = await resolveGatewaySecret(this.deps.config(), this.deps.paths(), this.deps.env());
    const same =
      next.mode === this.#secret.mode &&
      (next.mode === 'none' || (this.#secret.mode !== 'none' && next.value === this.#secret.value));
    if (same) return;
    this.#secret = next;
    this.#generation++;
    // Let the response to the request that changed the secret go out first, then close the old ones.
    setTimeout(() => {
      for (const conn of this.deps.connections()) {
        if (conn.phase === 'open' && conn.secretGeneration !== this.#generation) {
          conn.close(CloseCode.policyViolation, 'gateway secret changed: reconnect with the new one');
        }
      }
    }, 100).unref();
  }

  /** Stop following the secret file. */
  stop(): void {
    this.#watch?.stop();
  }
}
