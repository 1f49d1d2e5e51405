import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Gateway } from '../../src/gateway/index.js';
import { startGateway, tempStateDir } from '../helpers/gateway-harness.js';

describe('one gateway per state dir', () => {
  it('tells a second gateway who holds the lock', async () => {
    const h = await startGateway();
    try {
      const lock = JSON.parse(await readFile(join(h.stateDir, 'gateway.lock'), 'utf8'));
      expect(lock).toMatchObject({ pid: process.pid, port: h.gateway.port, host: '127.0.0.1' });
      const err = await Gateway.start({ stateDir: h.stateDir, port: 0, env: {} }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'GATEWAY_LOCKED' });
      expect((err as Error).message).toContain(`pid ${process.pid}`);
      expect((err as Error).message).toContain(`127.0.0.1:${h.gateway.port}`);
      // The first gateway is unaffected.
      expect((await fetch(`http://127.0.0.1:${h.gateway.port}/readyz`)).status).toBe(200);
    } finally {
      await h.cleanup();
    }
  });

  it('recovers a stale lock left by a dead process', async () => {
    const stateDir = await tempStateDir();
    const child = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => child.on('exit', r));
    const stale = { pid: child.pid, port: 1, host: '127.0.0.1', startedAt: 1, stateDir };
    await writeFile(join(stateDir, 'gateway.lock'), JSON.stringify(stale));
    const gw = await Gateway.start({ stateDir, port: 0, env: {} });
    const lock = JSON.parse(await readFile(join(stateDir, 'gateway.lock'), 'utf8'));
    expect(lock.pid).toBe(process.pid);
    await gw.stop();
    await expect(readFile(join(stateDir, 'gateway.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('treats a lock with our pid but another process start as stale (pid reuse after a reboot)', async () => {
    const stateDir = await tempStateDir();
    const reused = {
      pid: process.pid,
      port: 1,
      host: '127.0.0.1',
      startedAt: 1,
      stateDir,
      processStartedAt: 12345,
    };
    await writeFile(join(stateDir, 'gateway.lock'), JSON.stringify(reused));
    const gw = await Gateway.start({ stateDir, port: 0, env: {} });
    expect(JSON.parse(await readFile(join(stateDir, 'gateway.lock'), 'utf8')).port).toBe(gw.port);
    await gw.stop();
  });

  it('reports a port in use with its holder and releases the lock', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const stateDir = await tempStateDir();
    try {
      const err = await Gateway.start({ stateDir, port, env: {} }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'PORT_IN_USE' });
      expect((err as Error).message).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect((err as Error).message).toContain(`pid ${process.pid}`);
      await expect(readFile(join(stateDir, 'gateway.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      blocker.close();
    }
  });
});
