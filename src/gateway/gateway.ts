import { chmod, mkdir } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  bindHost,
  type Config,
  ConfigWatcher,
  collectConfigSecrets,
  type LoadedConfig,
  loadConfig,
  planReload,
  processEnvironment,
  resolvePaths,
  type StatePaths,
} from '../config/index.js';
import { GatewayMetrics } from '../metrics/index.js';
import {
  CloseCode,
  hasScope,
  MAX_BUFFERED_BYTES,
  MAX_PAYLOAD,
  type StateVersion,
} from '../protocol/index.js';
import {
  CarapaceError,
  type Clock,
  errnoCode,
  isLoopbackAddress,
  newToken,
  systemClock,
} from '../shared/index.js';
import { type GatewaySecret, resolveGatewaySecret, secretFilePath, watchSecretFile } from './auth.js';
import type { Connection } from './connection.js';
import { dispatchFrame } from './dispatch.js';
import { type EventLoopHealth, EventLoopMonitor, IDLE_EVENT_LOOP } from './event-loop.js';
import { handleHandshakeFrame } from './handshake.js';
import { IdempotencyStore } from './idempotency.js';
import { GatewayLock } from './lock.js';
import { createGatewayLogger, type Logger, SecretScrubber } from './logger.js';
import { registerAllMethods } from './methods/index.js';
import { createMetricsRoute } from './metrics-route.js';
import { createOpenAiHandler } from './openai-http.js';
import { originAllowed } from './origin.js';
import { findPortHolder } from './port-holder.js';
import { FailureLimiter } from './rate-limit.js';
import { MethodRegistry } from './registry.js';
import type { RunService } from './runs/run-service.js';
import { GatewayTransport } from './server.js';
import { createServices, type Services, schedulerSettings } from './services.js';
import type { GatewaySessions } from './sessions.js';
import { createStaticHandler, findWebRoot } from './static.js';
import { buildHealth, buildHello, buildStatus, presenceOf } from './views.js';

/** How to start a gateway. Flags from the CLI become config overrides (the top layer). */
export interface GatewayStartOptions {
  stateDir?: string | undefined;
  configPath?: string | undefined;
  port?: number | undefined;
  bind?: string | undefined;
  /** Environment for config layering and secret refs; defaults to the process environment (read in config/). */
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
}

type Readiness = 'starting' | 'ready' | 'draining' | 'stopped';

/**
 * The composition root: one gateway per state dir. `Gateway.start()` loads config, takes the lock,
 * resolves the secret, opens the logs and idempotency store, registers methods and listens.
 */
export class Gateway {
  readonly registry = new MethodRegistry();
  readonly stateVersion: StateVersion = { presence: 0, health: 0 };
  /** What `GET /metrics` shows. */
  readonly metrics = new GatewayMetrics();
  readonly startedAt: number;
  #loaded: LoadedConfig;
  #readiness: Readiness = 'starting';
  #secret: GatewaySecret = { mode: 'none' };
  #secretGeneration = 0;
  /** Every secret the config holds or references, resolved (registered with the redactor). */
  #configSecrets: string[] = [];
  #host = '127.0.0.1';
  #timers: NodeJS.Timeout[] = [];
  #tick: NodeJS.Timeout | undefined;
  #degraded = false;
  #stopping: Promise<void> | undefined;
  readonly #scrubber = new SecretScrubber();
  readonly #eventLoop = new EventLoopMonitor();
  #eventLoopSample: EventLoopHealth = IDLE_EVENT_LOOP;
  readonly #startedMono = performance.now();
  readonly #limiter: FailureLimiter;
  #watcher: ConfigWatcher | undefined;
  /** Watches the file the secret comes from (a token rotated by replacing its file applies at once). */
  #secretWatch: { path: string; stop: () => void } | undefined;
  #overrides: Record<string, unknown> = {};
  readonly #eventListeners = new Set<(event: string, payload: unknown) => void>();
  readonly #httpRoutes: ((req: IncomingMessage, res: ServerResponse) => boolean)[] = [];
  // Assigned in start(); a Gateway is only handed out after start() finished.
  logger!: Logger;
  logFile = '';
  idempotency!: IdempotencyStore;
  sessions!: GatewaySessions;
  runs!: RunService;
  #services!: Services;
  transport!: GatewayTransport;
  #lock!: GatewayLock;

  private constructor(
    loaded: LoadedConfig,
    private readonly options: GatewayStartOptions,
    private readonly clock: Clock,
  ) {
    this.#loaded = loaded;
    this.startedAt = clock.now();
    this.#limiter = new FailureLimiter(loaded.config.gateway.auth.rateLimit, clock);
  }

  get #env(): NodeJS.ProcessEnv {
    return this.options.env ?? processEnvironment();
  }

  get config(): Config {
    return this.#loaded.config;
  }
  get paths(): StatePaths {
    return this.#loaded.paths;
  }
  get port(): number {
    return this.transport.port;
  }
  get host(): string {
    return this.#host;
  }
  get url(): string {
    const host =
      this.#host === '0.0.0.0' ? '127.0.0.1' : this.#host.includes(':') ? `[${this.#host}]` : this.#host;
    return `ws://${host}:${this.port}`;
  }
  /** The shared secret clients must present (undefined when auth is off). */
  get secret(): string | undefined {
    return this.#secret.mode === 'none' ? undefined : this.#secret.value;
  }
  get readiness(): Readiness {
    return this.#readiness;
  }

  static async start(options: GatewayStartOptions = {}): Promise<Gateway> {
    const paths = resolvePaths({ stateDir: options.stateDir, configPath: options.configPath }, options.env);
    const overrides: Record<string, unknown> = {};
    if (options.port !== undefined || options.bind !== undefined) {
      overrides.gateway = {
        ...(options.port !== undefined ? { port: options.port } : {}),
        ...(options.bind !== undefined ? { bind: options.bind } : {}),
      };
    }
    const loaded = await loadConfig({ paths, env: options.env, overrides });
    const gateway = new Gateway(loaded, options, options.clock ?? systemClock);
    gateway.#overrides = overrides;
    try {
      await gateway.#start();
    } catch (err) {
      await gateway.#teardown();
      throw err;
    }
    return gateway;
  }

  async #start(): Promise<void> {
    const { paths, config } = this.#loaded;
    await mkdir(paths.stateDir, { recursive: true, mode: 0o700 });
    await chmod(paths.stateDir, 0o700).catch(() => undefined);
    this.#lock = new GatewayLock(paths.lockPath, {
      pid: process.pid,
      port: null,
      host: null,
      startedAt: this.startedAt,
      stateDir: paths.stateDir,
    });
    await this.#lock.acquire();
    this.#host = bindHost(config.gateway.bind);
    this.#secret = await resolveGatewaySecret(config, paths, this.#env);
    if (this.#secret.mode === 'none' && !isLoopbackAddress(this.#host)) {
      throw new CarapaceError(
        'UNSAFE_BIND',
        `refusing to listen on ${this.#host} without auth: set gateway.auth.mode to 'token' or 'password', or bind to loopback`,
      );
    }
    this.#configSecrets = await collectConfigSecrets(config, this.#env);
    this.#scrubber.setSource(() => [this.secret, ...this.#configSecrets]);
    const log = createGatewayLogger({
      logsDir: paths.logsDir,
      level: config.logging.level,
      maxFileBytes: config.logging.maxFileBytes,
      scrubber: this.#scrubber,
    });
    this.logger = log.logger;
    this.logFile = log.file;
    this.idempotency = await IdempotencyStore.open(paths.idempotencyPath, {
      ...config.gateway.idempotency,
      clock: this.clock,
    });
    const services = await createServices({
      config: () => this.config,
      paths,
      clock: this.clock,
      env: this.#env,
      logger: this.logger,
      idempotency: this.idempotency,
      broadcast: (event, payload) => this.broadcast(event, payload),
      secret: () => this.secret,
      secrets: () => this.#scrubber.secrets(),
      redact: (value) => this.#scrubber.redact(value),
      metrics: this.metrics,
    });
    this.#services = services;
    this.sessions = services.sessions;
    this.runs = services.runs;
    this.#httpRoutes.push(
      createOpenAiHandler({
        enabled: () => this.config.gateway.http.endpoints.chatCompletions.enabled,
        secret: () => this.secret,
        limiter: this.#limiter,
        sessions: this.sessions,
        runs: this.runs,
        onEvent: (listener) => this.onEvent(listener),
        clock: this.clock,
      }),
      createMetricsRoute({ metrics: this.metrics, secret: () => this.secret, limiter: this.#limiter }),
      ...services.httpRoutes,
      // WebChat / Control UI (web/dist) at `/`, after the API routes.
      createStaticHandler(findWebRoot(import.meta.url) ?? `${paths.stateDir}/web`),
    );
    this.#scrubber.setSource(() => [this.secret, ...this.#configSecrets, ...this.runs.modelSecrets()]);
    registerAllMethods(this.registry, {
      services,
      clock: this.clock,
      env: this.options.env,
      loaded: () => this.#loaded,
      reload: () => this.reloadConfig(),
      health: () => this.health(),
      status: () =>
        buildStatus({
          paths: this.paths,
          startedAt: this.startedAt,
          host: this.#host,
          port: this.port,
          connections: this.transport.connections.size,
        }),
      presence: () => this.presence(),
      logFile: () => this.logFile,
      flushLogs: () => this.logger.flush(),
    });
    this.transport = new GatewayTransport(
      () => ({
        maxPayload: this.config.gateway.maxPayload ?? MAX_PAYLOAD,
        maxBufferedBytes: this.config.gateway.maxBufferedBytes ?? MAX_BUFFERED_BYTES,
        handshakeTimeoutMs: this.config.gateway.handshakeTimeoutMs,
        maxConnectionsPerIp: this.config.gateway.maxConnectionsPerIp,
        allowedOrigins: this.config.gateway.controlUi.allowedOrigins,
      }),
      {
        onFrame: (conn, data) => {
          this.metrics.frame('in');
          this.#onFrame(conn, data);
        },
        onFrameSent: () => this.metrics.frame('out'),
        onOpen: (conn) =>
          conn.event('connect.challenge', { nonce: newToken(16), ts: Date.now() }, undefined, true),
        onClose: (conn) => this.#onClose(conn),
        onRefused: (reason, remote, origin) =>
          this.logger.warn({ reason, remote, origin }, 'connection refused'),
        scrub: (frame) => this.#scrubber.scrubFrame(frame),
      },
      {
        readiness: () => this.#readiness,
        originAllowed: (origin) =>
          originAllowed(origin, this.port, this.config.gateway.controlUi.allowedOrigins),
        extra: (req, res) => this.#httpRoutes.some((route) => route(req, res)),
      },
    );
    this.metrics.setSources({
      lanes: () => this.runs.lanes.stats(),
      connections: () => this.transport.connections.size,
      eventLoop: () => this.#eventLoopSample,
      channels: () => services.channels.status(),
    });
    await this.#listen(config.gateway.port);
    await this.#lock.update({ port: this.port, host: this.#host });
    this.#eventLoop.start();
    this.#startTimers();
    await this.#watchConfig();
    this.#watchSecret();
    this.#readiness = 'ready';
    const replayed = await this.runs.start();
    await this.#services.channels.start();
    await this.#services.scheduler.start();
    if (replayed > 0) this.logger.warn({ replayed }, 'replaying messages accepted before the last stop');
    this.logger.info({ url: this.url, secret: this.#secret.mode, pid: process.pid }, 'gateway listening');
  }

  async #listen(port: number): Promise<void> {
    try {
      await this.transport.listen(port, this.#host);
    } catch (err) {
      if (errnoCode(err) !== 'EADDRINUSE') throw err;
      const holder = await findPortHolder(port);
      const who = holder ? ` by pid ${holder.pid} (${holder.command.slice(0, 120)})` : '';
      throw new CarapaceError(
        'PORT_IN_USE',
        `port ${port} on ${this.#host} is already in use${who}: stop that process or pick another port (--port or gateway.port)`,
        { details: { port, host: this.#host, holder } },
      );
    }
  }

  health() {
    return buildHealth({
      config: this.config,
      paths: this.paths,
      eventLoop: this.#eventLoopSample,
      startedMono: this.#startedMono,
      sessions: (agentId) => this.sessions.summary(agentId),
      channels: this.#services.channels.status().channels,
      heartbeats: schedulerSettings(this.config).heartbeats,
    });
  }

  presence() {
    const out = [];
    for (const c of this.transport.connections.values()) if (c.phase === 'open') out.push(presenceOf(c));
    return out;
  }

  #onFrame(conn: Connection, data: string): void {
    if (conn.phase === 'handshake') {
      handleHandshakeFrame(conn, data, {
        secret: () => ({ secret: this.#secret, generation: this.#secretGeneration }),
        limiter: this.#limiter,
        hello: (c, p) =>
          buildHello(c, p, {
            methods: this.registry.names(),
            presence: this.presence(),
            health: this.health(),
            stateVersion: this.stateVersion,
            uptimeMs: Math.round(performance.now() - this.#startedMono),
            gateway: this.config.gateway,
          }),
        onAuthenticated: (c) => {
          this.logger.info(
            { connId: c.id, client: c.client?.id, mode: c.client?.mode, remote: c.remoteAddress },
            'client connected',
          );
          this.#presenceChanged();
        },
        onRejected: (c, reason) =>
          this.logger.warn(
            { connId: c.id, remote: c.remoteAddress, origin: c.origin, reason },
            'handshake refused',
          ),
      });
      return;
    }
    if (conn.phase !== 'open') return;
    dispatchFrame(conn, data, {
      registry: this.registry,
      idempotency: this.idempotency,
      accepting: () => this.#readiness === 'ready',
      onInternalError: (err, method) => this.logger.error({ err, method }, 'method failed'),
    });
  }

  #onClose(conn: Connection): void {
    if (conn.connectedAt > 0) {
      this.logger.info({ connId: conn.id }, 'client disconnected');
      this.#presenceChanged();
    }
  }

  #presenceChanged(): void {
    this.stateVersion.presence++;
    this.broadcast('presence', { presence: this.presence() }, true);
  }

  /** Listen to every event the gateway broadcasts (in-process subscribers: HTTP streams, channels). */
  onEvent(listener: (event: string, payload: unknown) => void): () => void {
    this.#eventListeners.add(listener);
    return () => this.#eventListeners.delete(listener);
  }

  /** Send an event to every authenticated connection (each with its own seq). */
  broadcast(event: string, payload: unknown, withStateVersion = false): void {
    const sv = withStateVersion ? { ...this.stateVersion } : undefined;
    for (const listener of this.#eventListeners) listener(event, payload);
    // Liveness events go to every client; everything else needs at least read scope.
    const open = event === 'tick' || event === 'shutdown';
    for (const conn of this.transport.connections.values()) {
      if (conn.phase === 'open' && (open || hasScope(conn.scopes, 'operator.read')))
        conn.event(event, payload, sv);
    }
  }

  #startTimers(): void {
    this.#restartTick();
    const sampler = setInterval(() => {
      this.#eventLoopSample = this.#eventLoop.sample();
      if (this.#eventLoopSample.degraded !== this.#degraded) {
        this.#degraded = this.#eventLoopSample.degraded;
        this.stateVersion.health++;
        this.broadcast('health', this.health(), true);
      }
    }, 2000);
    sampler.unref();
    this.#timers.push(sampler);
  }

  #restartTick(): void {
    if (this.#tick) clearInterval(this.#tick);
    this.#tick = setInterval(() => {
      this.broadcast('tick', { ts: Date.now() });
      this.transport.heartbeat();
    }, this.config.gateway.tickIntervalMs);
    this.#tick.unref();
  }

  async #watchConfig(): Promise<void> {
    this.#watcher = new ConfigWatcher({
      paths: this.paths,
      ...(this.options.env ? { env: this.options.env } : {}),
      overrides: this.#overrides,
      initial: this.#loaded,
      onChange: async (loaded) => {
        await this.#apply(loaded);
      },
      onError: (err) =>
        this.logger.error({ err: String(err) }, 'config change refused; the running config stays'),
    });
    await this.#watcher.start();
  }

  /** Re-read the config from disk and apply what reloads hot. Returns the plan. */
  async reloadConfig(): Promise<{ hotReloaded: string[]; restartRequired: string[] }> {
    const loaded = await loadConfig({ paths: this.paths, env: this.options.env, overrides: this.#overrides });
    return this.#apply(loaded);
  }

  async #apply(loaded: LoadedConfig): Promise<{ hotReloaded: string[]; restartRequired: string[] }> {
    const plan = planReload(this.#loaded.config, loaded.config);
    this.#loaded = loaded;
    this.#configSecrets = await collectConfigSecrets(loaded.config, this.#env);
    if (plan.changed.length === 0) return { hotReloaded: [], restartRequired: [] };
    const c = loaded.config;
    this.logger.level = c.logging.level;
    this.#limiter.setPolicy(c.gateway.auth.rateLimit);
    this.idempotency.setLimits(c.gateway.idempotency.ttlMs, c.gateway.idempotency.maxEntries);
    this.runs.configure(c);
    if (plan.changed.some((p) => p.startsWith('gateway.tickIntervalMs'))) this.#restartTick();
    if (plan.changed.some((p) => p.startsWith('gateway.auth'))) await this.#rotateSecret();
    if (plan.changed.some((p) => p.startsWith('channels'))) await this.#services.channels.reload();
    this.#services.scheduler.configure(schedulerSettings(c));
    if (plan.restart.length > 0) {
      this.logger.warn({ paths: plan.restart }, 'config changed in fields that need a gateway restart');
    }
    this.logger.info({ hot: plan.hot, restart: plan.restart }, 'config reloaded');
    return { hotReloaded: plan.hot, restartRequired: plan.restart };
  }

  /** Follow the file the secret is read from (re-aimed when the config names another one). */
  #watchSecret(): void {
    const path = secretFilePath(this.config, this.paths, this.#env);
    if (path === this.#secretWatch?.path) return;
    this.#secretWatch?.stop();
    this.#secretWatch = undefined;
    if (path === undefined) return;
    const stop = watchSecretFile(path, () => {
      this.#rotateSecret().catch((err) =>
        this.logger.error({ err: String(err) }, 'the gateway secret file changed but cannot be read'),
      );
    });
    this.#secretWatch = { path, stop };
  }

  /** A new secret: new connects must use it and connections made with the old one are closed. */
  async #rotateSecret(): Promise<void> {
    this.#watchSecret();
    const next = await resolveGatewaySecret(this.config, this.paths, this.#env);
    const same =
      next.mode === this.#secret.mode &&
      (next.mode === 'none' || (this.#secret.mode !== 'none' && next.value === this.#secret.value));
    if (same) return;
    this.#secret = next;
    this.#secretGeneration++;
    // Let the response to the request that changed the secret go out first, then close the old ones.
    setTimeout(() => {
      for (const conn of this.transport.connections.values()) {
        if (conn.phase === 'open' && conn.secretGeneration !== this.#secretGeneration) {
          conn.close(CloseCode.policyViolation, 'gateway secret changed: reconnect with the new one');
        }
      }
    }, 100).unref();
  }

  /** Drain and stop: `shutdown` to everyone, close 1012, release the lock. Idempotent. */
  stop(reason = 'gateway stopping', restartExpectedMs?: number): Promise<void> {
    this.#stopping ??= (async () => {
      this.#readiness = 'draining';
      const payload = restartExpectedMs === undefined ? { reason } : { reason, restartExpectedMs };
      this.broadcast('shutdown', payload);
      this.logger?.info({ reason }, 'gateway stopping');
      await this.#teardown();
      this.#readiness = 'stopped';
    })();
    return this.#stopping;
  }

  async #teardown(): Promise<void> {
    await this.#watcher?.stop();
    this.#secretWatch?.stop();
    await this.#services?.scheduler
      .stop()
      .catch((err) => this.logger.error({ err: String(err) }, 'scheduler stop failed'));
    await this.#services?.channels
      .stop()
      .catch((err) => this.logger.error({ err: String(err) }, 'channels stop failed'));
    await this.runs?.stop();
    await this.#services?.exec.registry.stop();
    for (const t of this.#timers) clearInterval(t);
    if (this.#tick) clearInterval(this.#tick);
    this.#eventLoop.stop();
    if (this.transport) await this.transport.close(CloseCode.serviceRestart, 'gateway stopping');
    await this.idempotency?.flush();
    await this.sessions?.close();
    if (this.logger) await new Promise<void>((resolve) => this.logger.flush(() => resolve()));
    await this.#lock?.release();
  }
}
