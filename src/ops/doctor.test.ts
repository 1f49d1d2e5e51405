import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolvePaths } from '../config/index.js';
import { doctorFailed, runDoctor } from './doctor.js';
import type { DoctorPorts } from './doctor-types.js';
import type { Finding, Report } from './findings.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-doctor-'));
  await chmod(dir, 0o700);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const paths = () => resolvePaths({ stateDir: dir }, {});

/** A config that keeps the checks away from the real port 18789 unless a test asks for a port. */
async function writeConfig(config: Record<string, unknown>): Promise<void> {
  const gateway = { port: 0, ...((config.gateway as object | undefined) ?? {}) };
  await writeFile(join(dir, 'carapace.json'), JSON.stringify({ ...config, gateway }), { mode: 0o600 });
}

function doctor(extra: Partial<DoctorPorts> & { fix?: boolean } = {}): Promise<Report> {
  return runDoctor({
    paths: paths(),
    env: { HOME: dir },
    probeSandbox: async () => ({ ok: true, bwrapPath: '/usr/bin/bwrap' }),
    ...extra,
  });
}

const byId = (r: Report, id: string): Finding[] => r.findings.filter((f) => f.id === id);
const mode = async (p: string) => (await stat(p)).mode & 0o777;

/** A pid that surely is not running: a child that has exited. */
function deadPid(): number {
  const res = spawnSync(process.execPath, ['-e', '0']);
  return res.pid ?? 999_999;
}

describe('doctor: config', () => {
  it('reports every config problem with its path, and fails', async () => {
    await writeFile(join(dir, 'carapace.json'), '{ gateway: { port: "x", bnd: 1 } }', { mode: 0o600 });
    const r = await doctor();
    const issues = byId(r, 'config.invalid');
    expect(issues.map((i) => i.details?.path)).toEqual(expect.arrayContaining(['gateway.port']));
    expect(issues.every((i) => i.severity === 'error')).toBe(true);
    expect(doctorFailed(r)).toBe(true);
  });

  it('a missing config is information, not a failure', async () => {
    const r = await doctor({ probePort: async () => ({ free: true }) });
    expect(byId(r, 'config.missing')[0]?.severity).toBe('info');
    expect(byId(r, 'workspace.missing')[0]).toMatchObject({ severity: 'info', fixable: true });
    expect(doctorFailed(r)).toBe(false);
  });
});

describe('doctor: permissions', () => {
  it('flags an open state dir, config, credentials and token; --fix sets 0700/0600 and says what they were', async () => {
    await writeConfig({});
    const p = paths();
    await mkdir(join(p.credentialsDir, 'telegram'), { recursive: true });
    await writeFile(p.tokenPath, 'x'.repeat(43), { mode: 0o644 });
    await writeFile(join(p.credentialsDir, 'telegram', 'main-pairing.json'), '{"version":1}', {
      mode: 0o640,
    });
    await chmod(p.credentialsDir, 0o755);
    await chmod(p.configPath, 0o644);
    await chmod(dir, 0o755);

    const before = await doctor();
    for (const id of ['perm.state-dir', 'perm.config', 'perm.credentials', 'perm.token']) {
      expect(byId(before, id)[0], id).toMatchObject({ severity: 'error', fixable: true });
    }
    expect(byId(before, 'perm.token')[0]?.fix).toBe(`chmod 600 ${p.tokenPath}`);
    expect(doctorFailed(before)).toBe(true);

    const after = await doctor({ fix: true });
    expect(after.findings.filter((f) => f.id.startsWith('perm.'))).toEqual([]);
    expect(byId(after, 'perm')[0]?.severity).toBe('ok');
    expect(after.fixes.find((f) => f.id === 'perm.token')?.message).toContain('(was 0644)');
    expect(await mode(dir)).toBe(0o700);
    expect(await mode(p.configPath)).toBe(0o600);
    expect(await mode(p.credentialsDir)).toBe(0o700);
    expect(await mode(join(p.credentialsDir, 'telegram'))).toBe(0o700);
    expect(await mode(p.tokenPath)).toBe(0o600);
    expect(await mode(join(p.credentialsDir, 'telegram', 'main-pairing.json'))).toBe(0o600);
    expect(await readFile(p.tokenPath, 'utf8')).toBe('x'.repeat(43));
  });
});

describe('doctor: lock and port', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
  });

  it('a lock of a dead process is stale; --fix keeps a copy and removes it', async () => {
    await writeConfig({});
    const p = paths();
    const lock = JSON.stringify({
      pid: deadPid(),
      port: 18789,
      host: '127.0.0.1',
      startedAt: 1,
      stateDir: dir,
    });
    await writeFile(p.lockPath, lock, { mode: 0o600 });
    const r = await doctor();
    expect(byId(r, 'lock.stale')[0]).toMatchObject({ severity: 'warn', fixable: true });
    expect(byId(r, 'lock.stale')[0]?.message).toContain('is not running');

    const fixed = await doctor({ fix: true });
    expect(byId(fixed, 'lock.stale')).toEqual([]);
    expect(fixed.fixes[0]?.message).toContain(`backup: ${p.lockPath}.bak`);
    await expect(stat(p.lockPath)).rejects.toThrow();
    expect(await readFile(`${p.lockPath}.bak`, 'utf8')).toBe(lock);
  });

  it('a lock whose pid now belongs to another process (started at another time) is stale', async () => {
    await writeConfig({});
    const lock = {
      pid: process.pid,
      port: 1,
      host: '127.0.0.1',
      startedAt: 1,
      processStartedAt: Date.now() - 3_600_000,
    };
    await writeFile(paths().lockPath, JSON.stringify(lock));
    const r = await doctor();
    expect(byId(r, 'lock.stale')[0]?.message).toContain('the pid was reused');
  });

  it('a lock held by a live gateway process is reported, not touched', async () => {
    await writeConfig({});
    const lock = {
      pid: process.pid,
      port: 4242,
      host: '127.0.0.1',
      startedAt: Date.now(),
      processStartedAt: performance.timeOrigin,
    };
    await writeFile(paths().lockPath, JSON.stringify(lock));
    const r = await doctor({ fix: true });
    expect(byId(r, 'gateway.running')[0]?.message).toContain(`pid ${process.pid} on 127.0.0.1:4242`);
    expect(JSON.parse(await readFile(paths().lockPath, 'utf8')).pid).toBe(process.pid);
  });

  it('the configured port held by another program is an error; a free one is ok', async () => {
    server = createServer();
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await writeConfig({ gateway: { port } });
    const r = await doctor();
    expect(byId(r, 'port.in-use')[0]).toMatchObject({ severity: 'error' });
    expect(byId(r, 'port.in-use')[0]?.fix).toContain(`sport = :${port}`);
    await new Promise((res) => server!.close(res));
    server = undefined;
    expect(byId(await doctor(), 'port')[0]?.severity).toBe('ok');
  });
});

describe('doctor: node and sandbox', () => {
  it('a Node older than the engines range is an error', async () => {
    await writeConfig({});
    const r = await doctor({ nodeVersion: '18.20.0', engines: '>=20.19' });
    expect(byId(r, 'node.version')[0]).toMatchObject({
      severity: 'error',
      message: 'Node 18.20.0 does not satisfy >=20.19',
    });
    expect(byId(await doctor({ nodeVersion: '22.1.0', engines: '>=20.19' }), 'node')[0]?.severity).toBe('ok');
  });

  it('reads the engines range of the Carapace package.json by default', async () => {
    await writeConfig({});
    const r = await doctor();
    expect(byId(r, 'node')[0]?.message).toContain('satisfies >=20.19');
  });

  it('sandbox on without a working bubblewrap is an error (real probe); sandbox off is information', async () => {
    await writeConfig({ tools: { sandbox: { mode: 'all', bwrapPath: join(dir, 'no-bwrap') } } });
    const r = await runDoctor({ paths: paths(), env: {} });
    expect(byId(r, 'sandbox.unavailable')[0]?.message).toContain(join(dir, 'no-bwrap'));
    await writeConfig({ tools: { sandbox: { mode: 'off' } } });
    expect(byId(await doctor(), 'sandbox')[0]?.severity).toBe('info');
  });
});

describe('doctor: credentials', () => {
  const telegram = (botToken: unknown) => ({ channels: { telegram: { accounts: { main: { botToken } } } } });

  it('a channel token from an unset variable is an error naming it; set, it resolves', async () => {
    await writeConfig(telegram({ source: 'env', id: 'TG_TOKEN' }));
    const r = await doctor();
    const f = byId(r, 'channel.credentials')[0];
    expect(f?.message).toContain('telegram:main: botToken (environment variable TG_TOKEN)');
    expect(f?.fix).toContain('export TG_TOKEN=');
    expect(f?.fix).toContain(join(dir, 'service.env'));
    const ok = await doctor({ env: { HOME: dir, TG_TOKEN: '123:abc' } });
    expect(byId(ok, 'channel.credentials')).toEqual([]);
    expect(byId(ok, 'credentials')[0]?.severity).toBe('ok');
  });

  it('a token file that does not exist, a Slack socket account without appToken, hooks without a token', async () => {
    await writeConfig({
      channels: {
        telegram: { accounts: { main: { botToken: { source: 'file', path: join(dir, 'nope') } } } },
        slack: { accounts: { team: { botToken: 'xoxb-1' } } },
      },
      hooks: { enabled: true },
    });
    const r = await doctor();
    const messages = r.findings.filter((f) => f.severity === 'error').map((f) => f.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`file ${join(dir, 'nope')} does not exist`),
        'slack:team: appToken is not set',
        'hooks.enabled is true but hooks.token is not set',
      ]),
    );
  });

  it('a disabled account is not checked', async () => {
    await writeConfig({
      channels: {
        telegram: { accounts: { main: { enabled: false, botToken: { source: 'env', id: 'NONE' } } } },
      },
    });
    expect(byId(await doctor(), 'channel.credentials')).toEqual([]);
  });
});

describe('doctor: workspace', () => {
  it('missing starter files are a warning; --fix re-creates only those', async () => {
    await writeConfig({});
    const ws = paths().workspaceDir;
    await mkdir(ws, { recursive: true });
    await writeFile(join(ws, 'AGENTS.md'), 'my own rules\n');
    const r = await doctor();
    const f = byId(r, 'workspace.missing')[0];
    expect(f).toMatchObject({ severity: 'warn', fixable: true });
    expect(f?.message).toContain('SOUL.md');
    expect(f?.message).not.toContain('AGENTS.md');

    const fixed = await doctor({ fix: true });
    expect(byId(fixed, 'workspace.missing')).toEqual([]);
    expect(fixed.fixes[0]?.message).toContain('created SOUL.md');
    expect(await readFile(join(ws, 'AGENTS.md'), 'utf8')).toBe('my own rules\n');
    expect((await stat(join(ws, 'memory'))).isDirectory()).toBe(true);
  });
});

describe('doctor: persisted formats', () => {
  it('lists the files, flags a newer version (error) and an unreadable one (warn), and fixes neither', async () => {
    await writeConfig({});
    const sessions = join(dir, 'agents', 'main', 'sessions');
    await mkdir(sessions, { recursive: true });
    await writeFile(
      join(sessions, 'sessions.json'),
      JSON.stringify({ version: 9, agentId: 'main', sessions: {} }),
    );
    await writeFile(
      join(sessions, 's1.jsonl'),
      `${JSON.stringify({ type: 'session', version: 1, id: 's1' })}\n{"type":"message"}\n`,
    );
    await mkdir(join(dir, 'gateway'), { recursive: true });
    await writeFile(join(dir, 'gateway', 'inbox.jsonl'), '{"v":1,"op":"accept"}\n{"v":1,"op":"answer"}\n');
    await writeFile(join(dir, 'exec-approvals.json'), '{ not json');
    const r = await doctor({ fix: true });
    expect(byId(r, 'format.newer')[0]).toMatchObject({
      severity: 'error',
      fixable: false,
      paths: [join(sessions, 'sessions.json')],
    });
    expect(byId(r, 'format.newer')[0]?.message).toContain('has version 9; this build reads up to 1');
    expect(byId(r, 'format.unreadable')[0]?.paths).toEqual([join(dir, 'exec-approvals.json')]);
    const listing = byId(r, 'formats')[0];
    expect(listing?.message).toBe(
      '4 persisted files: 1 session index, 1 transcript, 1 inbox, 1 exec approvals',
    );
    expect(listing?.details?.files).toEqual(
      expect.arrayContaining([
        { format: 'transcript', path: join(sessions, 's1.jsonl'), status: 'ok', version: 1 },
      ]),
    );
    expect(r.fixes.filter((f) => f.id.startsWith('format'))).toEqual([]);
    expect(doctorFailed(r)).toBe(true);
  });
});
