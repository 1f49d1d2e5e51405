import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compileValidator,
  HealthResultSchema,
  StatusResultSchema,
  SystemPresenceResultSchema,
} from '../../src/protocol/index.js';
import { type Harness, startGateway } from '../helpers/gateway-harness.js';
import { connectedClient, TestClient } from '../helpers/ws-client.js';

let h: Harness;
beforeAll(async () => {
  h = await startGateway();
});
afterAll(() => h.cleanup());

describe('core methods', () => {
  it('answers an OpenClaw-style CLI client: client.id cli, params absent on health', async () => {
    for (const [clientId, mode] of [
      ['cli', 'cli'],
      ['gateway-client', 'backend'],
    ]) {
      const c = await TestClient.open(h.url);
      await c.waitFor((f) => f.event === 'connect.challenge');
      const hello = await c.request('connect', {
        minProtocol: 3,
        maxProtocol: 4,
        client: { id: clientId, version: '2026.9.1', platform: 'linux', mode },
        role: 'operator',
        scopes: ['operator.admin', 'operator.approvals', 'operator.pairing'],
        caps: [],
        auth: { token: h.token },
        locale: 'en-US',
        userAgent: `openclaw-cli/2026.9.1`,
      });
      expect(hello.ok).toBe(true);
      c.send({ type: 'req', id: 'health-1', method: 'health' });
      const res = await c.waitFor((f) => f.id === 'health-1');
      expect(res.ok).toBe(true);
      expect(compileValidator(HealthResultSchema).issues(res.payload)).toEqual([]);
      expect(res.payload).toMatchObject({
        ok: true,
        defaultAgentId: 'main',
        agents: [{ agentId: 'main', isDefault: true }],
      });
      c.close();
    }
  });

  it('status and system-presence match their schemas and show this client', async () => {
    const c = await connectedClient(h.url, h.token, { clientId: 'cli', mode: 'cli' });
    const status = await c.request('status');
    expect(compileValidator(StatusResultSchema).issues(status.payload)).toEqual([]);
    expect(status.payload).toMatchObject({ ok: true, pid: process.pid, listen: { port: h.gateway.port } });
    const presence = await c.request('system-presence', {});
    expect(compileValidator(SystemPresenceResultSchema).issues(presence.payload)).toEqual([]);
    expect((presence.payload as { clientId: string }[]).some((p) => p.clientId === 'cli')).toBe(true);
    c.close();
  });

  it('reports an unknown method and keeps the connection', async () => {
    const c = await connectedClient(h.url, h.token);
    const res = await c.request('no.such.method');
    expect(res.error).toMatchObject({ code: 'INVALID_REQUEST', details: { code: 'UNKNOWN_METHOD' } });
    expect((await c.request('health')).ok).toBe(true);
    c.close();
  });

  it('names the params problem with its path', async () => {
    const c = await connectedClient(h.url, h.token);
    const res = await c.request('logs.tail', { bogus: 1 });
    expect(res.error?.message).toBe("invalid logs.tail params: at root: unexpected property 'bogus'");
    const res2 = await c.request('logs.tail', { limit: 'ten' });
    expect(res2.error?.message).toContain('at /limit: must be integer');
    c.close();
  });

  it('answers a frame with unknown top-level keys with an error naming them', async () => {
    const c = await connectedClient(h.url, h.token);
    c.send({ type: 'req', id: 'x1', method: 'health', extra: true });
    const res = await c.waitFor((f) => f.id === 'x1');
    expect(res.error?.message).toBe("invalid frame: at root: unexpected property 'extra'");
    c.close();
  });

  it('refuses a second connect on an open connection', async () => {
    const c = await connectedClient(h.url, h.token);
    const res = await c.request('connect', {});
    expect(res.error?.details?.code).toBe('INVALID_HANDSHAKE');
    expect((await c.request('health')).ok).toBe(true);
    c.close();
  });
});

describe('scopes', () => {
  it('refuses a method above the granted scope with FORBIDDEN / MISSING_SCOPE and stays open', async () => {
    const c = await connectedClient(h.url, h.token, { scopes: ['operator.read'] });
    const hello = c.frames.find((f) => f.id === 'connect-1');
    expect((hello?.payload as { auth: { scopes: string[] } } | undefined)?.auth.scopes).toEqual([
      'operator.read',
    ]);
    const res = await c.request('config.patch', { patch: { logging: { level: 'debug' } } });
    expect(res.error).toMatchObject({
      code: 'FORBIDDEN',
      details: { code: 'MISSING_SCOPE', missingScope: 'operator.admin' },
    });
    expect((await c.request('health')).ok).toBe(true);
    c.close();
  });

  it('write implies read; admin implies everything', async () => {
    const w = await connectedClient(h.url, h.token, { scopes: ['operator.write'] });
    expect((await w.request('config.get')).ok).toBe(true);
    expect((await w.request('config.set', { config: {} })).error?.details?.missingScope).toBe(
      'operator.admin',
    );
    w.close();
    const a = await connectedClient(h.url, h.token, { scopes: ['operator.admin'] });
    expect((await a.request('status')).ok).toBe(true);
    a.close();
  });

  it('ignores scopes it does not know', async () => {
    const c = await connectedClient(h.url, h.token, {
      scopes: ['operator.read', 'root', 'operator.superuser'],
    });
    const hello = c.frames.find((f) => f.id === 'connect-1');
    expect((hello?.payload as { auth: { scopes: string[] } } | undefined)?.auth.scopes).toEqual([
      'operator.read',
    ]);
    c.close();
  });
});

describe('HTTP on the same port', () => {
  it('serves liveness and readiness without auth, and 404 elsewhere', async () => {
    const base = `http://127.0.0.1:${h.gateway.port}`;
    for (const path of ['/health', '/healthz']) {
      const res = await fetch(base + path);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ok: true, status: 'live' });
    }
    for (const path of ['/ready', '/readyz']) {
      const res = await fetch(base + path);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ok: true, status: 'ready' });
    }
    const missing = await fetch(`${base}/nope`);
    expect(missing.status).toBe(404);
  });
});
