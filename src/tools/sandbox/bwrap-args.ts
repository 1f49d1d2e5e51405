import { lstatSync, readlinkSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { CarapaceError } from '../../shared/index.js';

export type SandboxMode = 'off' | 'non-main' | 'all';
export type WorkspaceAccess = 'none' | 'ro' | 'rw';

/** Everything the sandbox needs for one command. Paths are real (symlink-free) absolute paths. */
export interface SandboxSpec {
  workspaceDir: string;
  access: WorkspaceAccess;
  network: boolean;
  /** RLIMIT_DATA of the command (MiB). */
  memoryMb: number;
  /** RLIMIT_CPU of the command (seconds of CPU time), a backstop to the wall-clock timeout. */
  cpuSeconds?: number;
  /** The state dir (config, credentials, sessions): never mounted; a workspace containing it is refused. */
  stateDir?: string;
  /** Where the command starts: inside the workspace, or `/tmp` when the workspace is not mounted. */
  cwd: string;
  /** The command's whole environment (HOME and TMPDIR are set to /tmp). */
  env: Readonly<Record<string, string>>;
  /** prlimit inside the sandbox (util-linux; under /usr, so visible there). */
  prlimitPath: string;
}

/** What a host path is: a directory, a file, a symlink (with its target), or nothing. */
export type HostPathKind = 'dir' | 'file' | { symlink: string } | undefined;

/** The host filesystem as the builder sees it (a port, so tests can describe other layouts). */
export type HostLayout = (path: string) => HostPathKind;

/** The real layout, by lstat. */
export const hostLayout: HostLayout = (path) => {
  try {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return { symlink: readlinkSync(path) };
    if (st.isDirectory()) return 'dir';
    return 'file';
  } catch {
    return undefined;
  }
};

/** Top-level system dirs: bound read-only, or recreated as the same symlinks (merged-/usr systems). */
const SYSTEM_DIRS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/** The part of /etc programs need to start (users, loader cache, alternatives, time zone). */
const ETC_BASE = [
  '/etc/passwd',
  '/etc/group',
  '/etc/nsswitch.conf',
  '/etc/hosts',
  '/etc/localtime',
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/alternatives',
];

/** Added with network access: name resolution and TLS roots. */
const ETC_NETWORK = [
  '/etc/resolv.conf',
  '/etc/host.conf',
  '/etc/gai.conf',
  '/etc/services',
  '/etc/protocols',
  '/etc/ssl',
  '/etc/ca-certificates',
  '/etc/pki',
];

function inside(child: string, dir: string): boolean {
  const rel = relative(dir, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Check a spec before any argv is built: absolute paths, a workspace that is not `/` and does not
 * contain the state dir, a cwd the sandbox can reach. Throws `SANDBOX_INVALID`.
 */
export function checkSandboxSpec(spec: SandboxSpec): void {
  const fail = (message: string) => {
    throw new CarapaceError('SANDBOX_INVALID', message, { details: { workspaceDir: spec.workspaceDir } });
  };
  if (!isAbsolute(spec.workspaceDir) || !isAbsolute(spec.cwd)) fail('sandbox paths must be absolute');
  if (spec.workspaceDir === '/') fail('refusing to mount / as the sandbox workspace');
  if (spec.stateDir && inside(spec.stateDir, spec.workspaceDir)) {
    fail(`the workspace ${spec.workspaceDir} contains the state dir ${spec.stateDir}; refusing to mount it`);
  }
  const cwdOk = spec.access === 'none' ? spec.cwd === '/tmp' : inside(spec.cwd, spec.workspaceDir);
  if (!cwdOk) fail(`the sandbox cannot start in ${spec.cwd}`);
}

/**
 * The bwrap argv (without the bwrap program itself) that runs `command` (absolute program path first)
 * in a fresh sandbox: new user/ipc/pid/uts/cgroup namespaces, no network unless `spec.network`, all
 * capabilities dropped, read-only /usr and system dirs, a minimal read-only /etc, private /proc, /dev and
 * /tmp, the workspace at its own path (rw, ro or absent), everything else read-only (`--remount-ro /`), a
 * cleared environment, and prlimit applying
 * RLIMIT_DATA (memoryMb), RLIMIT_CORE 0 and RLIMIT_CPU before the command is executed.
 */
export function buildBwrapArgs(
  spec: SandboxSpec,
  command: readonly string[],
  layout: HostLayout = hostLayout,
): string[] {
  checkSandboxSpec(spec);
  const args = ['--die-with-parent', '--new-session'];
  args.push('--unshare-user-try', '--unshare-ipc', '--unshare-pid', '--unshare-uts', '--unshare-cgroup-try');
  if (!spec.network) args.push('--unshare-net');
  args.push('--cap-drop', 'ALL', '--hostname', 'carapace-sandbox');
  args.push('--ro-bind', '/usr', '/usr');
  for (const dir of SYSTEM_DIRS) {
    const kind = layout(dir);
    if (kind === 'dir') args.push('--ro-bind', dir, dir);
    else if (typeof kind === 'object') args.push('--symlink', kind.symlink, dir);
  }
  for (const path of spec.network ? [...ETC_BASE, ...ETC_NETWORK] : ETC_BASE) {
    if (layout(path) !== undefined) args.push('--ro-bind-try', path, path);
  }
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');
  if (spec.access === 'rw') args.push('--bind', spec.workspaceDir, spec.workspaceDir);
  else if (spec.access === 'ro') args.push('--ro-bind', spec.workspaceDir, spec.workspaceDir);
  // The sandbox's own root (where bwrap created /etc and the mount points) becomes read-only too.
  args.push('--remount-ro', '/');
  args.push('--chdir', spec.cwd, '--clearenv');
  const env = { ...spec.env, HOME: '/tmp', TMPDIR: '/tmp' };
  for (const [name, value] of Object.entries(env)) args.push('--setenv', name, value);
  const limits = [`--data=${spec.memoryMb * 1024 * 1024}`, '--core=0'];
  if (spec.cpuSeconds !== undefined) limits.push(`--cpu=${Math.max(1, Math.ceil(spec.cpuSeconds))}`);
  args.push('--', spec.prlimitPath, ...limits, '--', ...command);
  return args;
}
