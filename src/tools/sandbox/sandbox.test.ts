import { describe, expect, it } from 'vitest';
import {
  buildBwrapArgs,
  type HostLayout,
  SANDBOX_INSTALL_HINT,
  SandboxRunner,
  sandboxRequired,
} from './index.js';

const layout: HostLayout = (path) => {
  if (path === '/bin' || path === '/lib' || path === '/lib64') return { symlink: `usr${path}` };
  if (path === '/sbin') return 'dir';
  if (path.startsWith('/etc/')) return path === '/etc/ld.so.conf.d' || path === '/etc/ssl' ? 'dir' : 'file';
  return undefined;
};

const spec = {
  workspaceDir: '/home/me/.carapace/workspace',
  stateDir: '/home/me/.carapace',
  access: 'rw' as const,
  network: false,
  memoryMb: 256,
  cpuSeconds: 90,
  cwd: '/home/me/.carapace/workspace/src',
  env: { PATH: '/usr/bin:/bin', LANG: 'C' },
  prlimitPath: '/usr/bin/prlimit',
};

/** Index of the flag followed by exactly these values in argv, or -1. */
function seq(args: string[], ...items: string[]): number {
  return args.findIndex((_, i) => items.every((it, j) => args[i + j] === it));
}

describe('buildBwrapArgs', () => {
  const args = buildBwrapArgs(spec, ['/usr/bin/ls', '-la'], layout);

  it('isolates namespaces, drops capabilities and dies with its parent', () => {
    for (const flag of [
      '--die-with-parent',
      '--new-session',
      '--unshare-pid',
      '--unshare-net',
      '--unshare-ipc',
    ]) {
      expect(args).toContain(flag);
    }
    expect(seq(args, '--cap-drop', 'ALL')).toBeGreaterThanOrEqual(0);
    expect(args).toContain('--clearenv');
    expect(seq(args, '--remount-ro', '/')).toBeGreaterThan(
      seq(args, '--bind', spec.workspaceDir, spec.workspaceDir),
    );
    expect(buildBwrapArgs({ ...spec, network: true }, ['/bin/true'], layout)).not.toContain('--unshare-net');
  });

  it('mounts system dirs read-only (symlinks recreated), a minimal /etc and a private /tmp', () => {
    expect(seq(args, '--ro-bind', '/usr', '/usr')).toBeGreaterThanOrEqual(0);
    expect(seq(args, '--symlink', 'usr/bin', '/bin')).toBeGreaterThanOrEqual(0);
    expect(seq(args, '--ro-bind', '/sbin', '/sbin')).toBeGreaterThanOrEqual(0);
    expect(seq(args, '--ro-bind-try', '/etc/passwd', '/etc/passwd')).toBeGreaterThanOrEqual(0);
    expect(args).not.toContain('/etc/shadow');
    expect(args).not.toContain('/etc/resolv.conf');
    expect(buildBwrapArgs({ ...spec, network: true }, ['/bin/true'], layout)).toContain('/etc/resolv.conf');
    expect(seq(args, '--tmpfs', '/tmp')).toBeGreaterThanOrEqual(0);
    // The workspace is bound after /tmp, so a workspace under /tmp stays visible.
    expect(seq(args, '--bind', spec.workspaceDir, spec.workspaceDir)).toBeGreaterThan(
      seq(args, '--tmpfs', '/tmp'),
    );
  });

  it('binds the workspace rw, ro or not at all, and never the state dir', () => {
    const ro = buildBwrapArgs({ ...spec, access: 'ro' }, ['/bin/true'], layout);
    expect(seq(ro, '--ro-bind', spec.workspaceDir, spec.workspaceDir)).toBeGreaterThanOrEqual(0);
    const none = buildBwrapArgs({ ...spec, access: 'none', cwd: '/tmp' }, ['/bin/true'], layout);
    expect(none).not.toContain(spec.workspaceDir);
    for (const a of [args, ro, none]) {
      const mounted = a.filter((x, i) => x.startsWith('/home') && a[i - 1] !== '--chdir');
      expect(mounted.every((p) => p.startsWith(spec.workspaceDir))).toBe(true);
      expect(a).not.toContain(spec.stateDir);
    }
    expect(() => buildBwrapArgs({ ...spec, workspaceDir: '/home/me' }, ['/bin/true'], layout)).toThrow(
      /contains the state dir/,
    );
    expect(() => buildBwrapArgs({ ...spec, cwd: '/etc' }, ['/bin/true'], layout)).toThrow(/cannot start/);
  });

  it('runs the command under prlimit with the memory, core and CPU limits', () => {
    const tail = args.slice(args.indexOf('--') + 1);
    expect(tail).toEqual([
      '/usr/bin/prlimit',
      `--data=${256 * 1024 * 1024}`,
      '--core=0',
      '--cpu=90',
      '--',
      '/usr/bin/ls',
      '-la',
    ]);
    expect(seq(args, '--setenv', 'HOME', '/tmp')).toBeGreaterThanOrEqual(0);
    expect(seq(args, '--chdir', spec.cwd)).toBeGreaterThanOrEqual(0);
  });
});

describe('sandboxRequired', () => {
  it('follows the mode', () => {
    expect(sandboxRequired('off', false)).toBe(false);
    expect(sandboxRequired('all', true)).toBe(true);
    expect(sandboxRequired('non-main', true)).toBe(false);
    expect(sandboxRequired('non-main', false)).toBe(true);
  });
});

describe('SandboxRunner.check', () => {
  it('reports a missing bwrap with how to install it', async () => {
    const status = await new SandboxRunner({ bwrapPath: '/nonexistent/bwrap' }).check();
    expect(status.ok).toBe(false);
    expect(!status.ok && status.message).toContain('apt-get install bubblewrap');
    expect(SANDBOX_INSTALL_HINT).toContain('apt-get install bubblewrap');
    await expect(new SandboxRunner({ bwrapPath: '/nonexistent/bwrap' }).require()).rejects.toMatchObject({
      code: 'SANDBOX_UNAVAILABLE',
    });
  });

  it('reports a bwrap that cannot start a sandbox', async () => {
    // /bin/false stands in for a bwrap that fails (e.g. user namespaces disabled).
    const status = await new SandboxRunner({ bwrapPath: '/bin/false' }).check();
    expect(status.ok).toBe(false);
    expect(!status.ok && status.message).toMatch(/failed to start a sandbox/);
  });
});
