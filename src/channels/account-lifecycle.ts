import { type Clock, errorMessage } from '../shared/index.js';
import type { AccountStatus, AdapterHost } from './contract.js';
import type { SleepFn } from './ports.js';

/** What every running bot account holds; an adapter's own account record extends it. */
export interface LiveAccount {
  readonly id: string;
  /** What identifies the account's connection (credentials, endpoints): a change to it restarts the account. */
  readonly fingerprint: string;
  /** Aborted when the account stops: every wait and connection of the account ends with it. */
  readonly abort: AbortController;
  status: AccountStatus;
}

/** The config section of a channel whose accounts are bots with credentials in config. */
export interface BotChannelConfig<C extends { enabled: boolean }> {
  enabled: boolean;
  accounts: Record<string, C>;
}

export interface AccountLifecycleOptions<C extends { enabled: boolean }, A extends LiveAccount> {
  channel: string;
  /** The channel's config section, read on every use so edits apply. */
  config(): BotChannelConfig<C>;
  fingerprint(cfg: C): string;
  clock: Clock;
  /** The adapter's record of a starting account, built around `base`. */
  create(base: LiveAccount, cfg: C): A;
  /** Connect in the background; a rejection becomes the account's `lastError`. */
  connect(acc: A, cfg: C): Promise<void>;
  /** Release what `connect` opened; called once the account's signal has aborted. */
  close(acc: A): Promise<void>;
}

/**
 * The account lifecycle shared by adapters whose accounts are bots configured by credentials (Telegram,
 * Discord, Slack): start every enabled account, on reload stop removed or disabled ones and restart those
 * whose fingerprint changed, logout (the account stays stopped until its credentials change), status
 * (running accounts report their own; others are shown stopped), and recording connection errors.
 */
export class AccountLifecycle<C extends { enabled: boolean }, A extends LiveAccount> {
  readonly #accounts = new Map<string, A>();
  /** Logged-out account ids → the fingerprint they were logged out with. */
  readonly #loggedOut = new Map<string, string>();
  #host: AdapterHost | undefined;

  constructor(private readonly options: AccountLifecycleOptions<C, A>) {}

  /** The adapter's host while it runs. */
  get host(): AdapterHost | undefined {
    return this.#host;
  }

  /** A running account. */
  get(accountId: string): A | undefined {
    return this.#accounts.get(accountId);
  }

  /** The config of an account if it and its channel are enabled. */
  enabledConfig(accountId: string): C | undefined {
    const a = this.#configured()[accountId];
    return a?.enabled ? a : undefined;
  }

  accountIds(): string[] {
    return Object.entries(this.#configured())
      .filter(([, a]) => a.enabled)
      .map(([id]) => id);
  }

  async start(host: AdapterHost): Promise<void> {
    this.#host = host;
    await this.reload();
  }

  async reload(): Promise<void> {
    if (!this.#host) return;
    const { fingerprint } = this.options;
    const wanted = this.#configured();
    for (const [id, acc] of this.#accounts) {
      const cfg = wanted[id];
      if (!cfg?.enabled || fingerprint(cfg) !== acc.fingerprint) await this.#stopAccount(id);
    }
    for (const [id, cfg] of Object.entries(wanted)) {
      if (!cfg.enabled || this.#accounts.has(id)) continue;
      if (this.#loggedOut.get(id) === fingerprint(cfg)) continue;
      this.#loggedOut.delete(id);
      this.#launch(id, cfg);
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#accounts.keys()].map((id) => this.#stopAccount(id)));
    this.#host = undefined;
  }

  /** Stop the account until its credentials change. The token lives in config: nothing to erase. */
  async logout(accountId: string): Promise<{ cleared: boolean }> {
    const cfg = this.#configured()[accountId];
    await this.#stopAccount(accountId);
    if (cfg) this.#loggedOut.set(accountId, this.options.fingerprint(cfg));
    return { cleared: false };
  }

  status(): AccountStatus[] {
    const cfg = this.options.config();
    return Object.entries(cfg.accounts).map(([id, a]) => {
      const running = this.#accounts.get(id);
      if (running) return { ...running.status };
      const s: AccountStatus = {
        channel: this.options.channel,
        accountId: id,
        enabled: cfg.enabled && a.enabled,
        configured: true,
        running: false,
        connected: false,
      };
      if (this.#loggedOut.has(id)) s.loggedOut = true;
      return s;
    });
  }

  /** Record a connection error: the account is disconnected until it reports otherwise. */
  fail(acc: LiveAccount, error: string): void {
    acc.status.connected = false;
    acc.status.lastError = error;
    acc.status.lastErrorAt = this.options.clock.now();
    const channel = this.options.channel;
    this.#host?.logger.warn({ channel, accountId: acc.id, error }, `${channel} account error`);
  }

  #configured(): Record<string, C> {
    const cfg = this.options.config();
    return cfg.enabled ? cfg.accounts : {};
  }

  #launch(id: string, cfg: C): void {
    const o = this.options;
    const acc = o.create(
      {
        id,
        fingerprint: o.fingerprint(cfg),
        abort: new AbortController(),
        status: {
          channel: o.channel,
          accountId: id,
          enabled: true,
          configured: true,
          running: true,
          connected: false,
          lastStartAt: o.clock.now(),
        },
      },
      cfg,
    );
    this.#accounts.set(id, acc);
    o.connect(acc, cfg).catch((err) => this.fail(acc, errorMessage(err)));
  }

  async #stopAccount(id: string): Promise<void> {
    const acc = this.#accounts.get(id);
    if (!acc) return;
    this.#accounts.delete(id);
    acc.abort.abort();
    await this.options.close(acc);
    acc.status.running = false;
    acc.status.connected = false;
  }
}

const MAX_BACKOFF_MS = 5 * 60_000;

/**
 * Call `attempt` until it resolves, waiting 1 s, 2 s, 4 s … (at most 5 minutes) between failures. Each
 * failure goes to `failed` first, which answers true to give up (a refused credential). True when an
 * attempt succeeded; false when `failed` gave up or `signal` aborted (a failure after the abort is not
 * reported).
 */
export async function retryWithBackoff(
  signal: AbortSignal,
  sleep: SleepFn,
  attempt: () => Promise<unknown>,
  failed: (err: unknown) => boolean,
): Promise<boolean> {
  for (let delay = 1000; !signal.aborted; delay = Math.min(delay * 2, MAX_BACKOFF_MS)) {
    try {
      await attempt();
      return true;
    } catch (err) {
      if (signal.aborted) return false;
      if (failed(err)) return false;
      await sleep(delay, signal).catch(() => {});
    }
  }
  return false;
}
