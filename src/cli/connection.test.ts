import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ClientEnv, resolvePaths, type StatePaths } from '../config/index.js';
import { resolveConnection } from './connection.js';

const noEnv: ClientEnv = { url: undefined, token: undefined, password: undefined };

describe('resolveConnection', () => {
  let dir: string;
  let paths: StatePaths;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'carapace-conn-'));
    paths = resolvePaths({ stateDir: dir }, { HOME: dir });
    await mkdir(paths.credentialsDir, { recursive: true });
    await writeFile(paths.tokenPath, 'local-token\n');
    await writeFile(paths.configPath, '{ gateway: { port: 19001 } } // JSON5');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('uses the local config port and token file when nothing else is given', async () => {
    expect(await resolveConnection({}, noEnv, paths)).toMatchObject({
      url: 'ws://127.0.0.1:19001',
      token: 'local-token',
      urlSource: 'local',
      secretSource: 'local',
    });
  });

  it('prefers the live lock file port over the config, and ignores a dead holder', async () => {
    await writeFile(paths.lockPath, JSON.stringify({ pid: process.pid, port: 19555, host: '127.0.0.1' }));
    expect((await resolveConnection({}, noEnv, paths)).url).toBe('ws://127.0.0.1:19555');
    await writeFile(paths.lockPath, JSON.stringify({ pid: 2 ** 22 + 17, port: 19555, host: '127.0.0.1' }));
    expect((await resolveConnection({}, noEnv, paths)).url).toBe('ws://127.0.0.1:19001');
  });

  it('flags beat the environment, which beats local state', async () => {
    const env: ClientEnv = { url: 'ws://127.0.0.1:2000', token: 'env-token', password: undefined };
    expect(await resolveConnection({}, env, paths)).toMatchObject({
      url: 'ws://127.0.0.1:2000',
      token: 'env-token',
      secretSource: 'env',
    });
    expect(
      await resolveConnection({ url: 'ws://localhost:3000', password: 'flag-pass' }, env, paths),
    ).toMatchObject({
      url: 'ws://localhost:3000',
      token: undefined,
      password: 'flag-pass',
      secretSource: 'flag',
    });
  });

  it('never sends the local token to a non-loopback --url', async () => {
    const remote = await resolveConnection({ url: 'ws://192.0.2.10:18789' }, noEnv, paths);
    expect(remote).toMatchObject({ url: 'ws://192.0.2.10:18789', token: undefined, secretSource: 'none' });
    const loopback = await resolveConnection({ url: 'ws://127.0.0.1:18789' }, noEnv, paths);
    expect(loopback.token).toBe('local-token');
  });

  it('reads a password the config references by file, and a broken config falls back to defaults', async () => {
    const secretFile = join(dir, 'pw');
    await writeFile(secretFile, 'from-file\n');
    await writeFile(
      paths.configPath,
      JSON.stringify({
        gateway: { auth: { mode: 'password', password: { source: 'file', path: secretFile } } },
      }),
    );
    expect(await resolveConnection({}, noEnv, paths)).toMatchObject({
      url: 'ws://127.0.0.1:18789',
      token: undefined,
      password: 'from-file',
    });
    await writeFile(paths.configPath, '{ gateway: ');
    expect((await resolveConnection({}, noEnv, paths)).url).toBe('ws://127.0.0.1:18789');
  });
});
