import {
  bindHost,
  type Config,
  type ConfigWatcher,
  collectConfigSecrets,
  type LoadedConfig,
  loadConfig,
  planReload,
  processEnvironment,
  resolvePaths,
  type StatePaths,
} from '../config/index.js';
import { GatewayMetrics } from '../metrics/index.js';
import { CloseCode, type StateVersion } from '../protocol/index.js';
import { type Clock, systemClock } from '../shared/index.js';
import { applyReloadPlan, createConfigWatcher, flagOverrides, type ReloadResult } from './gateway-config.js';
import { GatewayEvents } from './gateway-events.js';
import { gatewayHttpRoutes } from './gateway-http.js';
import { refuseOpenBind, SecretHolder } from './gateway-secret.js';
import { lockStateDir } from './gateway-state-dir.js';
import { GatewayTimers } from './gateway-timers.js';
import { createGatewayTransport, listenOrExplain } from './gateway-transport.js';
import type { HttpRoute } from './http-routes.js';
import { IdempotencyStore } from './idempotency.js';
import type { GatewayLock } from './lock.js';
import { createGatewayLogger, type Logger, SecretScrubber } from './logger.js';
import { registerAllMethods } from './methods/index.js';
import { FailureLimiter } from './rate-limit.js';
import { MethodRegistry } from './registry.js';
import type { RunService } from './runs/run-service.js';
import type { GatewayTransport } from './server.js';
import { createServices, type Services, startServices, stopServices } from './services.js';
import { schedulerSettings } from './services-scheduler.js';
import type { GatewaySessions } from './sessions.js';
import { buildHealth, buildHello, buildStatus } from './views.js';

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
  /** What `GET /metrics` shows. */
  readonly metrics = new GatewayMetrics();
  readonly startedAt: number;
  #loaded: LoadedConfig;
  #readiness: Readiness = 'starting';
  readonly #secret = new SecretHolder({
    config: () => this.config,
    paths: () => this.paths,
    env: () => this.#env,
    connections: () => this.transport.connections.values(),
    onWatchError: (err) =>
      this.logger.error({ err: String(err) }, 'the gateway secret file changed but cannot be read'),
  });
  /** Every secret the config holds or references, resolved (registered with the redactor). */
  #configSecrets: string[] = [];
  #host = '127.0.0.1';
  #stopping: Promise<void> | undefined;
  readonly #scrubber = new SecretScrubber();
  readonly #events = new GatewayEvents(() => this.transport.connections.values());
  readonly #timers = new GatewayTimers({
    tickIntervalMs: () => this.config.gateway.tickIntervalMs,
    onTick: () => {
      this.broadcast('tick', { ts: Date.now() });
      this.transport.heartbeat();
    },
    onDegradedChange: () => {
      this.stateVersion.health++;
      this.broadcast('health', this.health(), true);
    },
  });
  readonly #startedMono = performance.now();
  readonly #limiter: FailureLimiter;
  #watcher: ConfigWatcher | undefined;
  #overrides: Record<string, unknown> = {};
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
    return this.#secret.value;
  }
  get readiness(): Readiness {
    return this.#readiness;
  }
  /** The `presence` and `health` counters sent with state-changing events. */
  get stateVersion(): StateVersion {
    return this.#events.stateVersion;
  }

  static async start(options: GatewayStartOptions = {}): Promise<Gateway> {
    const paths = resolvePaths({ stateDir: options.stateDir, configPath: options.configPath }, options.env);
    const overrides = flagOverrides(options);
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
    this.#lock = await lockStateDir(paths, this.startedAt);
    this.#host = bindHost(config.gateway.bind);
    await this.#secret.load();
    refuseOpenBind(this.#host, this.#secret.mode);
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
    const routes: HttpRoute[] = gatewayHttpRoutes({
      config: () => this.config,
      secret: () => this.secret,
      limiter: this.#limiter,
      sessions: this.sessions,
      runs: this.runs,
      onEvent: (listener) => this.onEvent(listener),
      clock: this.clock,
      metrics: this.metrics,
      serviceRoutes: services.httpRoutes,
      stateDir: paths.stateDir,
    });
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
    this.transport = createGatewayTransport({
      config: () => this.config,
      readiness: () => this.#readiness,
      logger: this.logger,
      metrics: this.metrics,
      scrubber: this.#scrubber,
      routes,
      handshake: {
        secret: () => this.#secret.current,
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
      },
      registry: this.registry,
      idempotency: this.idempotency,
      presenceChanged: () => this.#events.presenceChanged(),
    });
    this.metrics.setSources({
      lanes: () => this.runs.lanes.stats(),
      connections: () => this.transport.connections.size,
      eventLoop: () => this.#timers.eventLoop,
      channels: () => services.channels.status(),
    });
    await listenOrExplain(this.transport, config.gateway.port, this.#host);
    await this.#lock.update({ port: this.port, host: this.#host });
    this.#timers.start();
    this.#watcher = createConfigWatcher({
      paths: this.paths,
      env: this.options.env,
      overrides: this.#overrides,
      initial: this.#loaded,
      apply: (loaded) => this.#apply(loaded),
      logger: this.logger,
    });
    await this.#watcher.start();
    this.#secret.watch();
    this.#readiness = 'ready';
    const replayed = await startServices(services);
    if (replayed > 0) this.logger.warn({ replayed }, 'replaying messages accepted before the last stop');
    this.logger.info({ url: this.url, secret: this.#secret.mode, pid: process.pid }, 'gateway listening');
  }

  health() {
    return buildHealth({
      config: this.config,
      paths: this.paths,
      eventLoop: this.#timers.eventLoop,
      startedMono: this.#startedMono,
      sessions: (agentId) => this.sessions.summary(agentId),
      channels: this.#services.channels.status().channels,
      heartbeats: schedulerSettings(this.config).heartbeats,
    });
  }

  presence() {
    return this.#events.presence();
  }

  /** Listen to every event the gateway broadcasts (in-process subscribers: HTTP streams, channels). */
  onEvent(listener: (event: string, payload: unknown) => void): () => void {
    return this.#events.onEvent(listener);
  }

  /** Send an event to every authenticated connection (each with its own seq). */
  broadcast(event: string, payload: unknown, withStateVersion = false): void {
    this.#events.broadcast(event, payload, withStateVersion);
  }

  /** Re-read the config from disk and apply what reloads hot. Returns the plan. */
  async reloadConfig(): Promise<ReloadResult> {
    const loaded = await loadConfig({ paths: this.paths, env: this.options.env, overrides: this.#overrides });
    return this.#apply(loaded);
  }

  async #apply(loaded: LoadedConfig): Promise<ReloadResult> {
    const plan = planReload(this.#loaded.config, loaded.config);
    this.#loaded = loaded;
    this.#configSecrets = await collectConfigSecrets(loaded.config, this.#env);
    return applyReloadPlan(plan, loaded.config, {
      logger: this.logger,
      limiter: this.#limiter,
      idempotency: this.idempotency,
      runs: this.runs,
      channels: this.#services.channels,
      scheduler: this.#services.scheduler,
      restartTick: () => this.#timers.restartTick(),
      rotateSecret: () => this.#secret.rotate(),
    });
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
    this.#secret.stop();
    if (this.#services) await stopServices(this.#services, this.logger);
    this.#timers.stop();
    if (this.transport) await this.transport.close(CloseCode.serviceRestart, 'gateway stopping');
    await this.idempotency?.flush();
    await this.sessions?.close();
    if (this.logger) await new Promise<void>((resolve) => this.logger.flush(() => resolve()));
    await this.#lock?.release();
  }
}
