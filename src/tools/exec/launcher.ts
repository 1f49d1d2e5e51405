import type { ChildProcess, SpawnOptions, StdioOptions } from 'node:child_process';
import { spawn as nodeSpawn } from 'node:child_process';
import type { SandboxRunner, SandboxSpec } from '../sandbox/index.js';

/** The spawn port (node's `child_process.spawn` by default; tests may wrap it, e.g. in strace). */
export type SpawnPort = (file: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

export const defaultSpawn: SpawnPort = (file, args, options) => nodeSpawn(file, [...args], options);

/** One program to start: an absolute file, its argv (argv[0] as the program sees it), cwd, env, stdio. */
export interface LaunchSpec {
  file: string;
  argv: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string>>;
  stdio: StdioOptions;
}

/** Starts a program in its own process group (so a kill reaches everything it started). */
export type Launcher = (spec: LaunchSpec) => ChildProcess;

/** Run on the host: `file` is executed directly (no shell, no PATH lookup), argv[0] kept. */
export function hostLauncher(spawn: SpawnPort = defaultSpawn): Launcher {
  return (spec) =>
    spawn(spec.file, spec.argv.slice(1), {
      argv0: spec.argv[0] ?? spec.file,
      cwd: spec.cwd,
      env: { ...spec.env },
      stdio: spec.stdio,
      detached: true,
      windowsHide: true,
    });
}

/** What a sandboxed launch needs besides the command itself. */
export type SandboxLaunchBase = Omit<SandboxSpec, 'cwd' | 'env' | 'prlimitPath'>;

/**
 * Run inside bubblewrap: bwrap is the process started (and killed); the command sees the workspace at its
 * own path (cwd kept) or, with workspace access `none`, starts in the private /tmp.
 */
export function sandboxLauncher(
  runner: SandboxRunner,
  base: SandboxLaunchBase,
  spawn: SpawnPort = defaultSpawn,
): Launcher {
  return (spec) => {
    const cwd = base.access === 'none' ? '/tmp' : spec.cwd;
    const { file, args } = runner.wrap({ ...base, cwd, env: spec.env }, [spec.file, ...spec.argv.slice(1)]);
    return spawn(file, args, {
      cwd: '/',
      env: { PATH: '/usr/bin:/bin' },
      stdio: spec.stdio,
      detached: true,
      windowsHide: true,
    });
  };
}
