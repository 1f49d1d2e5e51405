import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type ConfigEnv, type DeepPartial, type LoadedConfig, loadConfig } from './load.js';
import type { StatePaths } from './paths.js';
import { planReload, type ReloadPlan } from './reload.js';
import type { Config } from './schema.js';

export interface ConfigWatcherOptions {
  paths: StatePaths;
  /** Defaults to `process.env`. */
  env?: ConfigEnv;
  overrides?: DeepPartial<Config>;
  /** The config in force now; start() loads it when neither this nor `current` is given. */
  initial?: LoadedConfig;
  /**
   * The config in force, when the owner also reloads on its own (e.g. after `config.set`): changes are
   * planned against what this returns rather than against the watcher's last load.
   */
  current?: () => LoadedConfig;
  /** A new valid config was loaded (called once per settled change, never concurrently). */
  onChange: (loaded: LoadedConfig, plan: ReloadPlan) => void | Promise<void>;
  /** A reload failed (e.g. CONFIG_INVALID) or onChange threw; the previous config stays in force. */
  onError: (err: unknown) => void;
  /** Quiet time after the last file event before reloading. Default 100 ms. */
  debounceMs?: number;
}

/**
 * Watches the config file and every file it includes, and reloads after changes settle. It watches the
 * parent folders (not the files), so atomic rename-replace, delete-and-recreate and editors' swap-file
 * saves are all seen. Folders that do not exist are not watched.
 */
export class ConfigWatcher {
  readonly #opts: ConfigWatcherOptions;
  readonly #dirs = new Map<string, FSWatcher>();
  #files = new Set<string>();
  #current: LoadedConfig | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = true;

  /** The CLI overrides every reload layers on top (so an owner's own reloads can use the same). */
  readonly overrides: DeepPartial<Config>;

  constructor(opts: ConfigWatcherOptions) {
    this.#opts = opts;
    this.overrides = opts.overrides ?? {};
  }

  /** The config in force: `current()` when given, else the last one that loaded successfully. */
  get current(): LoadedConfig | undefined {
    return this.#opts.current?.() ?? this.#current;
  }

  /** Load (unless `initial` was given) and start watching. Throws CONFIG_INVALID if the first load fails. */
  async start(): Promise<LoadedConfig> {
    if (!this.#stopped && this.#current) return this.#current;
    const loaded = this.#opts.current?.() ?? this.#opts.initial ?? (await this.#load());
    this.#current = loaded;
    this.#stopped = false;
    this.#watch(loaded);
    return loaded;
  }

  /** Stop watching; waits for a reload in progress to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const w of this.#dirs.values()) w.close();
    this.#dirs.clear();
    await this.#running;
  }

  #load(): Promise<LoadedConfig> {
    const { paths, env } = this.#opts;
    return loadConfig({ paths, overrides: this.overrides, ...(env ? { env } : {}) });
  }

  #watch(loaded: LoadedConfig): void {
    this.#files = new Set([loaded.paths.configPath, ...loaded.includes]);
    const wanted = new Set([...this.#files].map((f) => dirname(f)));
    for (const [dir, w] of this.#dirs) {
      if (wanted.has(dir)) continue;
      w.close();
      this.#dirs.delete(dir);
    }
    for (const dir of wanted) {
      if (this.#dirs.has(dir)) continue;
      let w: FSWatcher;
      try {
        w = watch(dir, { persistent: false }, (_event, name) => this.#onEvent(dir, name));
      } catch {
        continue;
      }
      w.on('error', (err) => this.#opts.onError(err));
      this.#dirs.set(dir, w);
    }
  }

  #onEvent(dir: string, name: string | Buffer | null): void {
    if (this.#stopped) return;
    if (name !== null && !this.#files.has(join(dir, basename(name.toString())))) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#kick(), this.#opts.debounceMs ?? 100);
  }

  #kick(): void {
    this.#timer = undefined;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.#reloadOnce();
      } while (this.#again && !this.#stopped);
    })().finally(() => {
      this.#running = undefined;
    });
  }

  async #reloadOnce(): Promise<void> {
    let loaded: LoadedConfig;
    try {
      loaded = await this.#load();
    } catch (err) {
      if (!this.#stopped) this.#opts.onError(err);
      return;
    }
    if (this.#stopped) return;
    const prev = this.current!;
    const plan = planReload(prev.config, loaded.config);
    this.#current = loaded;
    this.#watch(loaded);
    if (plan.changed.length === 0 && loaded.hash === prev.hash) return;
    try {
      await this.#opts.onChange(loaded, plan);
    } catch (err) {
      this.#opts.onError(err);
    }
  }
}
