import { afterEach, describe, expect, it } from 'vitest';
import { Gateway } from '../../src/gateway/index.js';
import { type Harness, startGateway, tempStateDir } from '../helpers/gateway-harness.js';
import { connectedClient, TestClient } from '../helpers/ws-client.js';

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.cleanup();
});
async function gw(config?: Record<string, unknown>, env?: NodeJS.ProcessEnv) {
  const h = await startGateway(config, env);
  harnesses.push(h);
  return h;
}

describe('auth', () => {
  it('generates a token on first start, stores it 0600, and keeps it across restarts', async () => {
    const h = await gw();
    const { stat, readFile } = await import('node:fs/promises');
    const file = `${h.stateDir}/credentials/gateway-token`;
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(`${h.stateDir}/credentials`)).mode & 0o777).toBe(0o700);
    const token = (await readFile(file, 'utf8')).trim();
    expect(token.length).toBeGreaterThanOrEqual(40);
    expect(h.token).toBe(token);
    await h.restart();
    expect(h.token).toBe(token);
  });

  it('uses a password when configured, taken from an env reference', async () => {
    const h = await gw(
      { gateway: { auth: { mode: 'password', password: { source: 'env', id: 'GW_PW' } } } },
      { GW_PW: 'correct horse battery' },
    );
    const bad = await TestClient.open(h.url);
    expect((await bad.connect({ password: 'wrong horse' })).error?.details?.code).toBe(
      'AUTH_PASSWORD_MISMATCH',
    );
    const good = await connectedClient(h.url, undefined, { password: 'correct horse battery' });
    const hello = good.frames.find((f) => f.id === 'connect-1');
    expect((hello?.payload as { auth: { method: string } } | undefined)?.auth.method).toBe('password');
    good.close();
  });

  it('locks an address out after 10 failures, even for the right token', async () => {
    const h = await gw();
    for (let i = 0; i < 10; i++) {
      const c = await TestClient.open(h.url);
      expect((await c.connect({ token: `wrong-${i}` })).error?.details?.code).toBe('AUTH_TOKEN_MISMATCH');
    }
    const c = await TestClient.open(h.url);
    const res = await c.connect({ token: h.token });
    expect(res.error?.details?.code).toBe('AUTH_RATE_LIMITED');
    expect(res.error?.retryAfterMs).toBeGreaterThan(4 * 60_000);
    expect((await c.closed).code).toBe(1008);
  });

  it('refuses to bind beyond loopback without auth', async () => {
    const stateDir = await tempStateDir({ gateway: { bind: 'lan', auth: { mode: 'none' } } });
    await expect(Gateway.start({ stateDir, port: 0, env: {} })).rejects.toMatchObject({
      code: 'UNSAFE_BIND',
    });
  });

  it('allows auth mode none on loopback', async () => {
    const h = await gw({ gateway: { auth: { mode: 'none' } } });
    const c = await connectedClient(h.url, undefined);
    expect((await c.request('health')).ok).toBe(true);
    c.close();
  });

  it('rotating the token in config closes connections made with the old one', async () => {
    const h = await gw({ gateway: { auth: { token: 'first-token-value' } } });
    const c = await connectedClient(h.url, 'first-token-value');
    const get = await c.request('config.get');
    const hash = (get.payload as { hash: string }).hash;
    const res = await c.request('config.patch', {
      patch: { gateway: { auth: { token: 'second-token-value' } } },
      baseHash: hash,
    });
    expect(res.ok).toBe(true);
    expect((await c.closed).code).toBe(1008);
    const old = await TestClient.open(h.url);
    expect((await old.connect({ token: 'first-token-value' })).error?.details?.code).toBe(
      'AUTH_TOKEN_MISMATCH',
    );
    const fresh = await connectedClient(h.url, 'second-token-value');
    fresh.close();
  });
});

describe('browser origins', () => {
  it('refuses a foreign Origin at the upgrade, before any frame', async () => {
    const h = await gw();
    for (const origin of [
      'http://evil.localhost:1234',
      'null',
      'file://',
      `http://127.0.0.1:${h.gateway.port + 1}`,
    ]) {
      await expect(TestClient.open(h.url, { origin })).rejects.toThrow('HTTP 403');
    }
  });

  it("accepts the gateway's own loopback origin and allowlisted origins", async () => {
    const h = await gw({ gateway: { controlUi: { allowedOrigins: ['https://ops.example.test'] } } });
    for (const origin of [
      `http://127.0.0.1:${h.gateway.port}`,
      `http://localhost:${h.gateway.port}`,
      'https://ops.example.test',
    ]) {
      const c = await connectedClient(h.url, h.token, { origin });
      c.close();
    }
  });
});
