import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ToolContext } from '../../agent/index.js';
import { SandboxRunner } from '../sandbox/index.js';
import { createExecTools } from './index.js';
import { body, ctxFor, makeShimBox, type ShimBox, testConfig } from './test-support.js';

const HOST_PATH = '/usr/local/bin:/usr/bin:/bin';
const CANARY = 'canary-7f3a9e-credential';
const sandboxWorks = (await new SandboxRunner().check()).ok;

/** Exec in bubblewrap (sandbox mode `all` unless said otherwise), with real bwrap. */
describe.skipIf(!sandboxWorks)('exec in the bubblewrap sandbox', () => {
  let box: ShimBox;
  let server: Server;
  let port = 0;
  let connections = 0;

  beforeAll(async () => {
    server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  beforeEach(() => {
    box = makeShimBox([]);
    writeFileSync(join(box.stateDir, 'credentials', 'token'), CANARY);
    writeFileSync(join(box.outside, 'marker'), 'host-only\n');
    connections = 0;
  });
  afterEach(() => box.cleanup());

  function run(
    command: string,
    opts: {
      sandbox?: Parameters<typeof testConfig>[1];
      exec?: Parameters<typeof testConfig>[0];
      ctx?: ToolContext;
    } = {},
  ) {
    const config = testConfig({ security: 'full', ...opts.exec }, { mode: 'all', ...opts.sandbox });
    const t = createExecTools({
      config: () => config,
      workspaceDir: () => box.ws,
      stateDir: box.stateDir,
      env: { PATH: HOST_PATH, HOME: box.root, LD_PRELOAD: '/x.so' },
    });
    return t.exec.execute({ command }, opts.ctx ?? ctxFor(), new AbortController().signal).then(body);
  }

  it('writes inside the workspace but nowhere outside it', async () => {
    expect((await run('echo inside > inside.txt')).status).toBe('completed');
    expect(existsSync(join(box.ws, 'inside.txt'))).toBe(true);
    for (const target of [join(box.outside, 'pwned'), '/usr/pwned', '/etc/pwned', '/pwned']) {
      const out = await run(`echo x > ${target}`);
      expect(out.status, target).toBe('failed');
      expect(existsSync(target), target).toBe(false);
    }
    // The workspace's parents exist in the sandbox only as empty mount points on its private /tmp: a
    // write there lands in that tmpfs and is gone with the sandbox.
    await run(`echo x > ${join(box.stateDir, 'pwned')}`);
    expect(existsSync(join(box.stateDir, 'pwned'))).toBe(false);
    expect((await run(`cat ${join(box.outside, 'marker')}`)).status).toBe('failed');
  });

  it('cannot read the state dir (credentials)', async () => {
    for (const command of [`cat ${join(box.stateDir, 'credentials', 'token')}`, `cat ${box.stateDir}/*/*`]) {
      const out = await run(command);
      expect(out.status, command).toBe('failed');
      expect(String(out.output)).not.toContain(CANARY);
    }
    expect((await run(`ls -A ${box.stateDir}`)).output).toBe('workspace\n');
    expect((await run(`grep -r ${CANARY} /tmp /etc /home /root`)).output).not.toContain(CANARY);
  });

  it('cannot open a network connection (0 accepted); with network on it can', async () => {
    const connect = `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port} && echo connected'`;
    const blocked = await run(connect);
    expect(blocked.status).toBe('failed');
    expect(String(blocked.output)).not.toContain('connected');
    expect(connections).toBe(0);
    const allowed = await run(connect, { sandbox: { network: true } });
    expect(String(allowed.output)).toContain('connected');
    for (let i = 0; i < 100 && connections === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(connections).toBe(1);
  });

  it('applies the memory limit, a private HOME and a cleaned environment', async () => {
    const out = await run('ulimit -d; echo "home=$HOME"; env', { sandbox: { memoryMb: 128 } });
    const text = String(out.output);
    expect(text.startsWith(`${128 * 1024}\n`)).toBe(true);
    expect(text).toContain('home=/tmp');
    expect(text).not.toContain('LD_PRELOAD');
  });

  it('runs allowlisted commands sandboxed too, and refuses redirections a read-only workspace cannot take', async () => {
    writeFileSync(join(box.ws, 'a.txt'), 'x');
    const exec = { security: 'allowlist' as const, ask: 'off' as const, allowlist: ['ls', 'echo', 'touch'] };
    expect((await run('ls', { exec })).output).toBe('a.txt\n');
    expect(await run('echo x > b.txt', { exec, sandbox: { workspaceAccess: 'ro' } })).toMatchObject({
      status: 'refused',
      code: 'EXEC_NOT_ALLOWLISTED',
    });
    expect((await run('touch c.txt', { exec, sandbox: { workspaceAccess: 'ro' } })).status).toBe('failed');
    expect(existsSync(join(box.ws, 'c.txt'))).toBe(false);
    expect((await run('ls', { exec, sandbox: { workspaceAccess: 'none' } })).output).toBe('');
  });

  it("sandboxes every session but the owner's main in mode non-main", async () => {
    const marker = `cat ${join(box.outside, 'marker')}`;
    const sandbox = { mode: 'non-main' as const };
    expect((await run(marker, { sandbox, ctx: ctxFor('agent:main:main') })).output).toBe('host-only\n');
    expect((await run(marker, { sandbox, ctx: ctxFor('agent:main:dm:stranger') })).status).toBe('failed');
  });

  it('kills a sandboxed command at its timeout', async () => {
    const out = await run('sleep 30', { exec: { timeoutSec: 1 } });
    expect(out.status).toBe('timeout');
  });
});

describe('exec when the sandbox is unavailable', () => {
  it('refuses with how to install bubblewrap, and runs nothing unsandboxed', async () => {
    const box = makeShimBox([]);
    try {
      const config = testConfig({ security: 'full' }, { mode: 'all', bwrapPath: join(box.root, 'no-bwrap') });
      const t = createExecTools({
        config: () => config,
        workspaceDir: () => box.ws,
        env: { PATH: HOST_PATH },
      });
      const out = body(
        await t.exec.execute({ command: 'touch ran' }, ctxFor(), new AbortController().signal),
      );
      expect(out).toMatchObject({ status: 'refused', code: 'EXEC_SANDBOX_UNAVAILABLE' });
      expect(String(out.message)).toContain('apt-get install bubblewrap');
      expect(existsSync(join(box.ws, 'ran'))).toBe(false);
    } finally {
      box.cleanup();
    }
  });
});
