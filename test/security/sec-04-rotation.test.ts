/**
 * SEC-04 (the parts this gateway has: one shared secret, no device tokens). Rotation: with 20 connections
 * open, a new token in the config — or a replaced token file — stops the old token for new connections at
 * once and closes every connection made with it within a second; the new token works. Reserved fields:
 * 50 names an attacker would smuggle (`approved`, `approvalDecision`, `__proto__`, `constructor` …)
 * injected into the params of every method are refused before any handler runs.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { METHOD_SPECS } from '../../src/protocol/index.js';
import { type Harness, startGateway } from '../helpers/gateway-harness.js';
import { connectedClient, TestClient } from '../helpers/ws-client.js';
import { until } from './support.js';

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.cleanup();
});

async function refusedWith(url: string, token: string): Promise<string | undefined> {
  const c = await TestClient.open(url);
  const res = await c.connect({ token });
  c.close();
  return res.ok ? undefined : String(res.error?.details?.code);
}

async function twenty(h: Harness, token: string) {
  const clients = await Promise.all(Array.from({ length: 20 }, () => connectedClient(h.url, token)));
  const closed = clients.map(() => false);
  clients.forEach((c, i) => void c.closed.then(() => (closed[i] = true)));
  return { clients, closed };
}

describe('SEC-04 token rotation', () => {
  it('a new token in the config: old refused at once, 20 open connections closed within 1 s', async () => {
    const h = await startGateway({ gateway: { auth: { token: 'first-token-value-0123456789' } } });
    harnesses.push(h);
    const { clients, closed } = await twenty(h, 'first-token-value-0123456789');
    const admin = clients[0]!;
    const hash = ((await admin.request('config.get')).payload as { hash: string }).hash;
    const res = await admin.request('config.patch', {
      patch: { gateway: { auth: { token: 'second-token-value-9876543210' } } },
      baseHash: hash,
    });
    expect(res.ok).toBe(true);
    expect(await refusedWith(h.url, 'first-token-value-0123456789')).toBe('AUTH_TOKEN_MISMATCH');
    await until(() => closed.every(Boolean), 'every old connection closed', 1000);
    expect((await Promise.all(clients.map((c) => c.closed))).map((c) => c.code)).toEqual(
      Array(20).fill(1008),
    );
    expect(await refusedWith(h.url, 'second-token-value-9876543210')).toBeUndefined();
  });

  it('a replaced token file: old refused, open connections closed, the new token works', async () => {
    const h = await startGateway();
    harnesses.push(h);
    const file = join(h.stateDir, 'credentials', 'gateway-token');
    const old = (await readFile(file, 'utf8')).trim();
    expect(old).toBe(h.token);
    const { closed } = await twenty(h, old);
    const next = 'replaced-token-value-abcdefghijklmnop';
    await writeFile(`${file}.new`, `${next}\n`, { mode: 0o600 });
    await rename(`${file}.new`, file);
    await until(
      async () => (await refusedWith(h.url, old)) === 'AUTH_TOKEN_MISMATCH',
      'the old token refused',
      1000,
    );
    await until(() => closed.every(Boolean), 'every old connection closed', 1000);
    expect(await refusedWith(h.url, next)).toBeUndefined();
  });
});

describe('SEC-04 reserved fields', () => {
  it('50 reserved names in the params of every method: refused before any handler', async () => {
    const h = await startGateway();
    harnesses.push(h);
    const entered: string[] = [];
    for (const name of h.gateway.registry.names()) {
      const m = h.gateway.registry.get(name)!;
      const original = m.handler as (p: never, c: never) => unknown;
      m.handler = ((p: never, c: never) => {
        entered.push(name);
        return original(p, c);
      }) as typeof m.handler;
    }
    const reserved = [
      'approved',
      'approvalDecision',
      'approval',
      'decision',
      'approvedBy',
      'allow',
      'allowAlways',
      '__proto__',
      'constructor',
      'prototype',
      'scopes',
      'scope',
      'role',
      'roles',
      'admin',
      'isAdmin',
      'owner',
      'isOwner',
      'elevated',
      'sudo',
      'security',
      'ask',
      'sandbox',
      'bypass',
      'force',
      'trusted',
      'internal',
      'system',
      'caller',
      'callerScopes',
      'connId',
      'clientId',
      'deviceId',
      'device',
      'auth',
      'token',
      'password',
      'secret',
      'signature',
      'nonce',
      'sessionOwner',
      'authorized',
      'policy',
      'execPolicy',
      'allowlist',
      'skipApproval',
      'noApproval',
      'dangerous',
      'unsafe',
      'override',
    ];
    expect(new Set(reserved).size).toBe(50);
    const c = await connectedClient(h.url, h.token);
    const accepted: string[] = [];
    let n = 0;
    for (const method of Object.keys(METHOD_SPECS)) {
      for (const key of reserved) {
        const frame = `{"type":"req","id":"x${++n}","method":${JSON.stringify(method)},"params":{${JSON.stringify(key)}:true}}`;
        const res = c.waitFor((f) => f.type === 'res' && f.id === `x${n}`);
        c.send(frame);
        const r = await res;
        if (r.ok) accepted.push(`${method}.${key}`);
        else expect(r.error?.details?.code, `${method}.${key}`).toBe('INVALID_PARAMS');
      }
    }
    c.close();
    expect(accepted).toEqual([]);
    expect(entered).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 60_000);
});
