// biome-ignore-all lint/suspicious/noTemplateCurlyInString: some tests are about literal ${VAR} placeholders
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, startGateway } from '../helpers/gateway-harness.js';
import { connectedClient, type TestClient } from '../helpers/ws-client.js';

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.cleanup();
});
async function setup(config: Record<string, unknown> = { logging: { level: 'info' } }) {
  const h = await startGateway(config);
  harnesses.push(h);
  const c = await connectedClient(h.url, h.token);
  return { h, c };
}
async function hashOf(c: TestClient): Promise<string> {
  return ((await c.request('config.get')).payload as { hash: string }).hash;
}

describe('config.get', () => {
  it('returns the file config with secrets redacted and a hash', async () => {
    const { c } = await setup({
      gateway: { auth: { token: 'canary-token-4c1d9e' } },
      logging: { level: 'warn' },
    });
    const res = await c.request('config.get');
    expect(res.ok).toBe(true);
    const payload = res.payload as {
      config: { gateway: { auth: { token: string } } };
      hash: string;
      valid: boolean;
    };
    expect(payload.valid).toBe(true);
    expect(payload.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(payload.config.gateway.auth.token).toBe('__REDACTED__');
    expect(JSON.stringify(res)).not.toContain('canary-token-4c1d9e');
  });
});

describe('config.get with variables', () => {
  it('shows ${VAR} unexpanded and judges validity with it resolved', async () => {
    const h = await startGateway({ logging: { level: '${LOG_LVL}' } }, { LOG_LVL: 'warn' });
    harnesses.push(h);
    const c = await connectedClient(h.url, h.token);
    const res = (await c.request('config.get')).payload as {
      valid: boolean;
      config: { logging: { level: string } };
    };
    expect(res.valid).toBe(true);
    expect(res.config.logging.level).toBe('${LOG_LVL}');
    expect(h.gateway.config.logging.level).toBe('warn');
  });
});

describe('config.set / config.patch', () => {
  it('patches with baseHash, keeps a backup, reloads hot fields and reports restart fields', async () => {
    const { h, c } = await setup();
    const res = await c.request('config.patch', {
      patch: { logging: { level: 'debug' }, gateway: { maxPayload: 1048576 } },
      baseHash: await hashOf(c),
    });
    expect(res.ok).toBe(true);
    const out = res.payload as {
      hotReloaded: string[];
      restartRequired: string[];
      backupPath?: string;
      hash: string;
    };
    expect(out.hotReloaded).toContain('logging.level');
    expect(out.restartRequired).toContain('gateway.maxPayload');
    expect(out.backupPath).toBeDefined();
    expect(h.gateway.logger.level).toBe('debug');
    const file = JSON.parse(await readFile(join(h.stateDir, 'carapace.json'), 'utf8'));
    expect(file).toEqual({ logging: { level: 'debug' }, gateway: { maxPayload: 1048576 } });
    expect((await stat(join(h.stateDir, 'carapace.json'))).mode & 0o777).toBe(0o600);
    expect(await hashOf(c)).toBe(out.hash);
  });

  it('refuses a stale baseHash and writes nothing', async () => {
    const { h, c } = await setup();
    const before = await readFile(join(h.stateDir, 'carapace.json'), 'utf8');
    const res = await c.request('config.set', {
      config: { logging: { level: 'debug' } },
      baseHash: 'f'.repeat(64),
    });
    expect(res.error?.details?.code).toBe('CONFIG_HASH_MISMATCH');
    expect(await readFile(join(h.stateDir, 'carapace.json'), 'utf8')).toBe(before);
  });

  it('requires baseHash when the file exists', async () => {
    const { c } = await setup();
    const res = await c.request('config.set', { config: {} });
    expect(res.error?.details?.code).toBe('CONFIG_BASE_HASH_REQUIRED');
    expect(res.error?.message).toContain('config.get');
  });

  it('refuses an invalid config with every issue and its path, and writes nothing', async () => {
    const { h, c } = await setup();
    const before = await readFile(join(h.stateDir, 'carapace.json'), 'utf8');
    const res = await c.request('config.set', {
      raw: "{ gateway: { port: 'high', prot: 1 }, logging: { level: 'loud' } }",
      baseHash: await hashOf(c),
    });
    expect(res.ok).toBe(false);
    expect(res.error?.details?.code).toBe('CONFIG_INVALID');
    const issues = res.error?.details?.issues as { path: string; message: string; hint: string }[];
    const paths = issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['gateway.port', 'gateway.prot', 'logging.level']));
    expect(issues.find((i) => i.path === 'gateway.prot')?.hint).toContain('port');
    expect(await readFile(join(h.stateDir, 'carapace.json'), 'utf8')).toBe(before);
    const files = await readdir(h.stateDir);
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('keeps secrets a client sent back redacted', async () => {
    const { h, c } = await setup({ gateway: { auth: { token: 'keep-this-token-1234' } } });
    const got = (await c.request('config.get')).payload as { config: Record<string, unknown>; hash: string };
    const next = { ...got.config, logging: { level: 'warn' } };
    const res = await c.request('config.set', { config: next, baseHash: got.hash });
    expect(res.ok).toBe(true);
    const file = JSON.parse(await readFile(join(h.stateDir, 'carapace.json'), 'utf8'));
    expect(file.gateway.auth.token).toBe('keep-this-token-1234');
  });
});

describe('idempotency (persisted)', () => {
  it('a repeated key answers the first result without a second write, also after a restart', async () => {
    const { h, c } = await setup();
    const params = {
      patch: { logging: { level: 'warn' } },
      baseHash: await hashOf(c),
      idempotencyKey: 'k-1',
    };
    const first = await c.request('config.patch', params);
    expect(first.ok).toBe(true);
    const bakStat = await stat(join(h.stateDir, 'carapace.json.bak'));
    const second = await c.request('config.patch', params);
    expect(second.payload).toEqual(first.payload);
    // No second write: the backup was not refreshed (a second write would copy the new file over it).
    expect((await stat(join(h.stateDir, 'carapace.json.bak'))).mtimeMs).toBe(bakStat.mtimeMs);
    c.close();

    await h.restart();
    const c2 = await connectedClient(h.url, h.token);
    const third = await c2.request('config.patch', params);
    expect(third.payload).toEqual(first.payload);
    expect((await stat(join(h.stateDir, 'carapace.json.bak'))).mtimeMs).toBe(bakStat.mtimeMs);

    const reused = await c2.request('config.patch', { ...params, patch: { logging: { level: 'error' } } });
    expect(reused.error?.details?.code).toBe('IDEMPOTENCY_KEY_REUSED');
    c2.close();
  });

  it('replays a failed first answer too', async () => {
    const { c } = await setup();
    const params = {
      patch: { logging: { level: 'nope' } },
      baseHash: await hashOf(c),
      idempotencyKey: 'bad-1',
    };
    const first = await c.request('config.patch', params);
    expect(first.error?.details?.code).toBe('CONFIG_INVALID');
    const again = await c.request('config.patch', params);
    expect(again.error).toEqual(first.error);
  });
});
