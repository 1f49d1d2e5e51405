import { rm } from 'node:fs/promises';
import { bindHost } from '../config/index.js';
import { backupFile, type LockInfo, readLockFile } from '../shared/index.js';
import { credentialsCheck, formatsCheck, workspaceCheck } from './doctor-checks-state.js';
import type { DoctorContext } from './doctor-types.js';
import type { Check, FsRepair, Issue } from './findings.js';
import { chmodRepair, describeAccess, octal, type PathMode, statMode, walkTree } from './fs-modes.js';
import { lockHolderLive } from './host-probe.js';
import { satisfiesRange } from './node-version.js';

const configCheck: Check<DoctorContext> = {
  id: 'config',
  run: async (ctx) => {
    if (ctx.configIssues.length > 0) return ctx.configIssues;
    const file = ctx.paths.configPath;
    if (!ctx.configExists) {
      return [
        {
          id: 'config.missing',
          severity: 'info',
          message: `no config file at ${file}: every setting has its default`,
          fix: 'carapace onboard',
        },
      ];
    }
    return [{ id: 'config', severity: 'ok', message: `${file} is valid` }];
  },
};

/** Several chmods as one repair (e.g. every file of the credentials folder). */
function chmodAll(targets: readonly { path: string; want: number }[]): FsRepair {
  return {
    kind: 'fs',
    apply: async () => {
      const done: string[] = [];
      for (const t of targets) done.push(await chmodRepair(t.path, t.want).apply());
      return done.join('; ');
    },
  };
}

function modeIssue(id: string, what: string, found: readonly PathMode[], uid: number): Issue[] {
  const out: Issue[] = [];
  const foreign = found.filter((m) => m.uid !== uid);
  if (foreign.length > 0) {
    out.push({
      id: `${id}.owner`,
      severity: 'error',
      message: `${what}: owned by another user (uid ${foreign[0]!.uid}): ${foreign.map((m) => m.path).join(', ')}`,
      fix: `chown -R $(id -u):$(id -g) ${foreign[0]!.path}`,
      paths: foreign.map((m) => m.path),
    });
  }
  const open = found.filter((m) => !m.isSymlink && (m.mode & 0o077) !== 0);
  if (open.length === 0) return out;
  const want = (m: PathMode) => (m.isDir ? 0o700 : 0o600);
  const first = open[0]!;
  const more = open.length > 1 ? ` (and ${open.length - 1} more)` : '';
  out.push({
    id,
    severity: 'error',
    message: `${what}: ${first.path} is ${octal(first.mode)}: ${describeAccess(first.mode)}${more}; want ${octal(want(first))}`,
    fix: open.map((m) => `chmod ${octal(want(m)).slice(1)} ${m.path}`).join(' && '),
    paths: open.map((m) => m.path),
    repair: chmodAll(open.map((m) => ({ path: m.path, want: want(m) }))),
  });
  return out;
}

const permissionsCheck: Check<DoctorContext> = {
  id: 'perm',
  run: async (ctx) => {
    const p = ctx.paths;
    const one = async (path: string) => {
      const m = await statMode(path);
      return m ? [m] : [];
    };
    const creds = await one(p.credentialsDir);
    if (creds.length > 0) {
      const tree = await walkTree(p.credentialsDir);
      creds.push(...tree.entries.filter((e) => e.path !== p.tokenPath));
    }
    const issues = [
      ...modeIssue('perm.state-dir', 'state dir', await one(p.stateDir), ctx.uid),
      ...modeIssue(
        'perm.config',
        'config file',
        [...(await one(p.configPath)), ...(await one(`${p.configPath}.bak`))],
        ctx.uid,
      ),
      ...modeIssue('perm.credentials', 'credentials', creds, ctx.uid),
      ...modeIssue('perm.token', 'gateway token file', await one(p.tokenPath), ctx.uid),
    ];
    if (issues.length > 0) return issues;
    return [
      {
        id: 'perm',
        severity: 'ok',
        message: 'state dir and credentials are private (0700 folders, 0600 files)',
      },
    ];
  },
};

function describeLock(lock: LockInfo): string {
  const where = lock.port ? ` on ${lock.host ?? '127.0.0.1'}:${lock.port}` : '';
  const since = Number.isFinite(lock.startedAt) ? `, started ${new Date(lock.startedAt).toISOString()}` : '';
  return `pid ${lock.pid}${where}${since}`;
}

/** Remove a stale lock after a last look (a gateway may have taken it meanwhile); a copy is kept first. */
function removeStaleLock(ctx: DoctorContext): FsRepair {
  return {
    kind: 'fs',
    apply: async () => {
      const now = await readLockFile(ctx.paths.lockPath);
      if (now.kind === 'absent') return `${ctx.paths.lockPath} is already gone`;
      if (now.kind === 'held' && lockHolderLive(now.lock, await ctx.probeProcess(now.lock.pid))) {
        throw new Error(`a live gateway holds ${ctx.paths.lockPath} now (pid ${now.lock.pid}); left alone`);
      }
      const backup = await backupFile(ctx.paths.lockPath);
      await rm(ctx.paths.lockPath, { force: true });
      return `removed the stale lock ${ctx.paths.lockPath}${backup ? ` (backup: ${backup})` : ''}`;
    },
  };
}

async function portIssues(ctx: DoctorContext): Promise<Issue[]> {
  const gw = ctx.config?.gateway;
  if (!gw || gw.port === 0) return [];
  const host = bindHost(gw.bind);
  const state = await ctx.probePort(host, gw.port);
  if (state.free)
    return [{ id: 'port', severity: 'ok', message: `${host}:${gw.port} is free for the gateway` }];
  if (state.code === 'EADDRINUSE') {
    return [
      {
        id: 'port.in-use',
        severity: 'error',
        message: `port ${gw.port} on ${host} is in use by another program (no gateway of this state dir holds it)`,
        fix: `find it with: ss -ltnp 'sport = :${gw.port}'; stop it, or pick another port: carapace config set gateway.port <port>`,
      },
    ];
  }
  return [
    {
      id: 'port.unusable',
      severity: 'error',
      message: `cannot listen on ${host}:${gw.port} (${state.code})`,
      fix:
        state.code === 'EADDRNOTAVAIL'
          ? `gateway.bind '${gw.bind}' is not an address of this machine: carapace config set gateway.bind loopback`
          : 'pick a port above 1023: carapace config set gateway.port 18789',
    },
  ];
}

const lockCheck: Check<DoctorContext> = {
  id: 'lock',
  run: async (ctx) => {
    const state = await readLockFile(ctx.paths.lockPath);
    if (state.kind === 'held') {
      const info = await ctx.probeProcess(state.lock.pid);
      if (lockHolderLive(state.lock, info)) {
        return [
          {
            id: 'gateway.running',
            severity: 'info',
            message: `a gateway runs for this state dir: ${describeLock(state.lock)}`,
          },
        ];
      }
      const why = info.alive
        ? `pid ${state.lock.pid} is now another process${info.command ? ` (${info.command})` : ''}: the pid was reused`
        : `pid ${state.lock.pid} is not running`;
      return [
        {
          id: 'lock.stale',
          severity: 'warn',
          message: `stale gateway lock ${ctx.paths.lockPath}: ${why}`,
          fix: `rm ${ctx.paths.lockPath}`,
          paths: [ctx.paths.lockPath],
          repair: removeStaleLock(ctx),
        },
        ...(await portIssues(ctx)),
      ];
    }
    if (state.kind === 'unreadable') {
      return [
        {
          id: 'lock.stale',
          severity: 'warn',
          message: `unreadable gateway lock ${ctx.paths.lockPath}: ${state.reason}`,
          fix: `rm ${ctx.paths.lockPath}`,
          paths: [ctx.paths.lockPath],
          repair: removeStaleLock(ctx),
        },
        ...(await portIssues(ctx)),
      ];
    }
    return portIssues(ctx);
  },
};

const nodeCheck: Check<DoctorContext> = {
  id: 'node',
  run: async (ctx) => {
    if (!ctx.engines) {
      return [
        {
          id: 'node',
          severity: 'info',
          message: `Node ${ctx.nodeVersion} (no engines range found to compare)`,
        },
      ];
    }
    const ok = satisfiesRange(ctx.nodeVersion, ctx.engines);
    if (ok === undefined) {
      return [
        {
          id: 'node',
          severity: 'info',
          message: `Node ${ctx.nodeVersion}; cannot read the range '${ctx.engines}'`,
        },
      ];
    }
    if (ok)
      return [{ id: 'node', severity: 'ok', message: `Node ${ctx.nodeVersion} satisfies ${ctx.engines}` }];
    return [
      {
        id: 'node.version',
        severity: 'error',
        message: `Node ${ctx.nodeVersion} does not satisfy ${ctx.engines}`,
        fix: `install Node.js ${ctx.engines} (e.g. the current LTS) and run carapace with it`,
      },
    ];
  },
};

const sandboxCheck: Check<DoctorContext> = {
  id: 'sandbox',
  run: async (ctx) => {
    const sandbox = ctx.config?.tools.sandbox;
    if (!sandbox) return [];
    if (sandbox.mode === 'off') {
      return [
        { id: 'sandbox', severity: 'info', message: "tools.sandbox.mode is 'off': exec runs unsandboxed" },
      ];
    }
    const status = await ctx.probeSandbox(sandbox.bwrapPath);
    if (status.ok) {
      return [
        {
          id: 'sandbox',
          severity: 'ok',
          message: `bubblewrap works (${status.bwrapPath}); sandbox mode '${sandbox.mode}'`,
        },
      ];
    }
    return [
      {
        id: 'sandbox.unavailable',
        severity: 'error',
        message: `tools.sandbox.mode is '${sandbox.mode}' but ${status.message}`,
        fix: 'install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap), or set tools.sandbox.bwrapPath; sandboxed exec is refused until then',
      },
    ];
  },
};

/** Every doctor check, in the order they print. */
export const DOCTOR_CHECKS: readonly Check<DoctorContext>[] = [
  configCheck,
  permissionsCheck,
  lockCheck,
  nodeCheck,
  sandboxCheck,
  credentialsCheck,
  workspaceCheck,
  formatsCheck,
];
