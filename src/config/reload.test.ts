import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isCarapaceError, writeFileAtomic } from '../shared/index.js';
import {
  type Config,
  ConfigWatcher,
  type LoadedConfig,
  loadConfig,
  planReload,
  type ReloadPlan,
  resolvePaths,
  restartPaths,
  type StatePaths,
  validateConfig,
} from './index.js';

function config(value: unknown): Config {
  const result = validateConfig(value);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.config;
}

describe('planReload', () => {
  it('finds restart paths from the schema annotations', () => {
    expect(restartPaths()).toEqual(
      expect.arrayContaining(['gateway.port', 'gateway.bind', 'gateway.maxPayload']),
    );
  });

  it('reports nothing for equal configs', () => {
    expect(planReload(config({}), config({}))).toEqual({ changed: [], hot: [], restart: [] });
  });

  it('splits hot changes from changes that need a restart', () => {
    const prev = config({ gateway: { port: 1 }, agents: { list: [{ id: 'a', model: 'x' }] } });
    const next = config({
      gateway: { port: 2, tickIntervalMs: 5000, auth: { token: 't' } },
      logging: { level: 'debug' },
      agents: { list: [{ id: 'a', model: 'y' }] },
    });
    expect(planReload(prev, next)).toEqual({
      changed: [
        'agents.list[0].model',
        'gateway.auth.token',
        'gateway.port',
        'gateway.tickIntervalMs',
        'logging.level',
      ],
      hot: ['agents.list[0].model', 'gateway.auth.token', 'gateway.tickIntervalMs', 'logging.level'],
      restart: ['gateway.port'],
    });
  });

  it('reports a list that changed length as one path', () => {
    const plan = planReload(config({}), config({ bindings: [{ agentId: 'main', match: {} }] }));
    expect(plan).toEqual({ changed: ['bindings'], hot: ['bindings'], restart: [] });
  });
});

/** Collects watcher callbacks; `next()` resolves with the next one. */
function recorder() {
  type Event = { kind: 'change'; loaded: LoadedConfig; plan: ReloadPlan } | { kind: 'error'; err: unknown };
  const queue: Event[] = [];
  const waiting: ((e: Event) => void)[] = [];
  const push = (e: Event) => {
    const w = waiting.shift();
    if (w) w(e);
    else queue.push(e);
  };
  return {
    onChange: (loaded: LoadedConfig, plan: ReloadPlan) => push({ kind: 'change', loaded, plan }),
    onError: (err: unknown) => push({ kind: 'error', err }),
    next: (): Promise<Event> => {
      const e = queue.shift();
      return e ? Promise.resolve(e) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}

describe('ConfigWatcher', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0)) await f();
  });

  async function setup(
    text: string,
  ): Promise<{ paths: StatePaths; rec: ReturnType<typeof recorder>; w: ConfigWatcher }> {
    const dir = await mkdtemp(join(tmpdir(), 'carapace-watch-'));
    const paths = resolvePaths({ stateDir: dir }, { HOME: dir });
    await writeFile(paths.configPath, text);
    const rec = recorder();
    const w = new ConfigWatcher({
      paths,
      env: {},
      onChange: rec.onChange,
      onError: rec.onError,
      debounceMs: 50,
    });
    cleanup.push(async () => {
      await w.stop();
      await rm(dir, { recursive: true, force: true });
    });
    return { paths, rec, w };
  }

  it('picks up an atomic replace, refuses an invalid edit keeping the old config, then recovers', async () => {
    const { paths, rec, w } = await setup('{ gateway: { port: 19000 } }');
    const first = await w.start();
    expect(first.config.gateway.port).toBe(19000);

    await writeFileAtomic(paths.configPath, '{ gateway: { port: 19001 }, logging: { level: "debug" } }');
    const changed = await rec.next();
    if (changed.kind !== 'change') throw changed.err;
    expect(changed.loaded.config.gateway.port).toBe(19001);
    expect(changed.plan.restart).toEqual(['gateway.port']);
    expect(changed.plan.hot).toEqual(['logging.level']);
    expect(w.current?.config.logging.level).toBe('debug');

    await writeFileAtomic(paths.configPath, '{ gateway: { port: "oops" } }');
    const refused = await rec.next();
    expect(refused.kind).toBe('error');
    if (refused.kind !== 'error') return;
    expect(isCarapaceError(refused.err, 'CONFIG_INVALID')).toBe(true);
    expect(w.current?.config.gateway.port).toBe(19001);

    await writeFile(paths.configPath, '{ gateway: { port: 19001 }, logging: { level: "warn" } }');
    const recovered = await rec.next();
    if (recovered.kind !== 'change') throw recovered.err;
    expect(recovered.plan).toEqual({ changed: ['logging.level'], hot: ['logging.level'], restart: [] });
  });

  it('watches included files too', async () => {
    const { paths, rec, w } = await setup('{ $include: "parts/extra.json5" }');
    const parts = join(paths.stateDir, 'parts');
    await mkdir(parts);
    await writeFile(join(parts, 'extra.json5'), '{ logging: { level: "info" } }');
    const first = await w.start();
    expect(first.includes).toEqual([join(parts, 'extra.json5')]);
    await writeFileAtomic(join(parts, 'extra.json5'), '{ logging: { level: "error" } }');
    const changed = await rec.next();
    if (changed.kind !== 'change') throw changed.err;
    expect(changed.loaded.config.logging.level).toBe('error');
    expect(changed.plan.hot).toEqual(['logging.level']);
  });

  it('plans against current() when the owner supplies it', async () => {
    const { paths, rec } = await setup('{ gateway: { port: 19000 } }');
    let owned: LoadedConfig | undefined;
    const w2 = new ConfigWatcher({
      paths,
      env: {},
      overrides: { logging: { level: 'trace' } },
      current: () => owned!,
      onChange: rec.onChange,
      onError: rec.onError,
      debounceMs: 50,
    });
    cleanup.push(() => w2.stop());
    owned = await loadConfig({ paths, env: {}, overrides: w2.overrides });
    await w2.start();
    owned = await loadConfig({
      paths,
      env: {},
      overrides: { gateway: { port: 19005 }, logging: { level: 'trace' } },
    });
    await writeFileAtomic(paths.configPath, '{ gateway: { port: 19000 }, session: { dmScope: "per-peer" } }');
    const changed = await rec.next();
    if (changed.kind !== 'change') throw changed.err;
    expect(changed.loaded.config.logging.level).toBe('trace');
    expect(changed.plan.changed).toEqual(['gateway.port', 'session.dmScope']);
  });
});
