import { type ChildProcess, spawn as nodeSpawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { CarapaceError } from '../../shared/index.js';
import {
  buildBwrapArgs,
  type HostLayout,
  hostLayout,
  type SandboxMode,
  type SandboxSpec,
} from './bwrap-args.js';

/** How to get bubblewrap, quoted in every refusal. */
export const SANDBOX_INSTALL_HINT =
  'install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap; ' +
  'Arch: pacman -S bubblewrap), or set tools.sandbox.bwrapPath';

export const DEFAULT_BWRAP_PATH = '/usr/bin/bwrap';
export const DEFAULT_PRLIMIT_PATH = '/usr/bin/prlimit';

export type SandboxStatus = { ok: true; bwrapPath: string } | { ok: false; message: string };

/** The spawn port the probe uses (node's `spawn` by default). */
export type ProbeSpawn = (file: string, args: readonly string[]) => ChildProcess;

export interface SandboxRunnerOptions {
  bwrapPath?: string;
  prlimitPath?: string;
  layout?: HostLayout;
  spawn?: ProbeSpawn;
}

/** Whether a session's exec must be sandboxed: `all` always, `non-main` for all but the owner's main. */
export function sandboxRequired(mode: SandboxMode, ownerMain: boolean): boolean {
  return mode === 'all' || (mode === 'non-main' && !ownerMain);
}

/**
 * Wraps commands in bubblewrap. `check()` verifies once (and remembers) that bwrap and prlimit exist and
 * that a trivial sandbox starts; a caller that needs a sandbox must refuse to run when it is not ok —
 * there is no unsandboxed fallback.
 */
export class SandboxRunner {
  readonly bwrapPath: string;
  readonly prlimitPath: string;
  private readonly layout: HostLayout;
  private readonly spawn: ProbeSpawn;
  private status: Promise<SandboxStatus> | undefined;

  constructor(options: SandboxRunnerOptions = {}) {
    this.bwrapPath = options.bwrapPath ?? DEFAULT_BWRAP_PATH;
    this.prlimitPath = options.prlimitPath ?? DEFAULT_PRLIMIT_PATH;
    this.layout = options.layout ?? hostLayout;
    this.spawn =
      options.spawn ?? ((file, args) => nodeSpawn(file, [...args], { stdio: ['ignore', 'ignore', 'pipe'] }));
  }

  /** Is the sandbox usable? Probed once per runner; a failed probe is retried on the next call. */
  check(): Promise<SandboxStatus> {
    this.status ??= this.probe().then((s) => {
      if (!s.ok) this.status = undefined;
      return s;
    });
    return this.status;
  }

  /** Like `check`, but throws `SANDBOX_UNAVAILABLE` (with the install hint) when it is not ok. */
  async require(): Promise<void> {
    const status = await this.check();
    if (!status.ok) {
      throw new CarapaceError('SANDBOX_UNAVAILABLE', status.message, {
        details: { bwrapPath: this.bwrapPath },
      });
    }
  }

  /** The program and argv that run `command` (absolute program path first) inside the sandbox. */
  wrap(spec: Omit<SandboxSpec, 'prlimitPath'>, command: readonly string[]): { file: string; args: string[] } {
    return {
      file: this.bwrapPath,
      args: buildBwrapArgs({ ...spec, prlimitPath: this.prlimitPath }, command, this.layout),
    };
  }

  private async probe(): Promise<SandboxStatus> {
    if (!(await executable(this.bwrapPath))) {
      return {
        ok: false,
        message: `sandbox required but bubblewrap was not found at ${this.bwrapPath}: ${SANDBOX_INSTALL_HINT}`,
      };
    }
    if (!(await executable(this.prlimitPath))) {
      return {
        ok: false,
        message: `sandbox required but prlimit was not found at ${this.prlimitPath}: install util-linux`,
      };
    }
    const { args } = this.wrap(
      {
        workspaceDir: '/nonexistent-workspace',
        access: 'none',
        network: false,
        memoryMb: 64,
        cwd: '/tmp',
        env: {},
      },
      ['/bin/true'],
    );
    return new Promise<SandboxStatus>((resolve) => {
      let stderr = '';
      const child = this.spawn(this.bwrapPath, args);
      child.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      child.on('error', (err) => {
        resolve({
          ok: false,
          message: `sandbox required but bubblewrap failed to start: ${err.message}; ${SANDBOX_INSTALL_HINT}`,
        });
      });
      child.on('close', (code) => {
        if (code === 0) resolve({ ok: true, bwrapPath: this.bwrapPath });
        else {
          const why = stderr.trim().slice(0, 300) || `exit code ${code}`;
          resolve({
            ok: false,
            message: `sandbox required but bubblewrap failed to start a sandbox (${why}); check that user namespaces are enabled, or ${SANDBOX_INSTALL_HINT}`,
          });
        }
      });
    });
  }
}

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
