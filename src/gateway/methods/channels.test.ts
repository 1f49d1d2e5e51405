import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChannelManager, MemoryChannelAdapter } from '../../channels/index.js';
import { resolvePaths, validateConfig } from '../../config/index.js';
import { compileValidator, METHOD_SPECS } from '../../protocol/index.js';
import { type MethodContext, MethodRegistry } from '../registry.js';
import { registerChannelMethods } from './channels.js';

const ctx = {
  caller: {
    connId: 'c',
    clientId: 'test',
    clientMode: 'test',
    role: 'operator',
    scopes: [],
    remoteAddress: '127.0.0.1',
  },
  accept: () => {},
  signal: new AbortController().signal,
} satisfies MethodContext;

describe('channel methods', () => {
  let stateDir: string;
  let adapter: MemoryChannelAdapter;
  let manager: ChannelManager;
  let registry: MethodRegistry;

  async function call(method: keyof typeof METHOD_SPECS, params: unknown): Promise<unknown> {
    const m = registry.get(method);
    if (!m) throw new Error(`${method} not registered`);
    expect(m.params.check(params)).toBe(true);
    const result = await (m.handler as (p: unknown, c: MethodContext) => unknown)(params, ctx);
    expect(compileValidator(METHOD_SPECS[method].result).check(result)).toBe(true);
    return result;
  }

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'carapace-chmethods-'));
    adapter = new MemoryChannelAdapter({ accounts: { default: { dmPolicy: 'pairing' } } });
    const r = validateConfig({});
    if (!r.ok) throw new Error('invalid default config');
    const config = r.config;
    manager = new ChannelManager({
      config: () => config,
      paths: resolvePaths({ stateDir }, {}),
      adapters: [adapter],
      emit: () => {},
      sink: { submit: async () => ({ text: 'hi' }) },
      sleep: async () => {},
    });
    await manager.start();
    registry = new MethodRegistry();
    registerChannelMethods(registry, { channels: manager });
  });

  afterEach(async () => {
    await manager.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('declares scopes and requires an idempotency key for send', () => {
    expect(registry.get('channels.status')?.scope).toBe('operator.read');
    expect(registry.get('channels.logout')?.scope).toBe('operator.admin');
    expect(registry.get('pairing.list')?.scope).toBe('operator.pairing');
    expect(registry.get('pairing.approve')?.scope).toBe('operator.pairing');
    expect(registry.get('send')?.scope).toBe('operator.write');
    expect(registry.get('send')?.idempotency?.required).toBe(true);
    expect(registry.get('send')?.params.check({ to: '1', message: 'x' })).toBe(false);
  });

  it('status, pairing list/approve and send answer in their schemas', async () => {
    const status = (await call('channels.status', {})) as { channels: Record<string, unknown> };
    expect(status.channels.memory).toMatchObject({ connected: true, accounts: 1 });
    await adapter.receive('default', { from: 'u1', text: 'hello' });
    const { requests } = (await call('pairing.list', { channel: 'memory' })) as {
      requests: { code: string }[];
    };
    expect(requests).toHaveLength(1);
    const approved = await call('pairing.approve', { channel: 'memory', code: requests[0]?.code });
    expect(approved).toMatchObject({ ok: true, channel: 'memory', senderId: 'u1' });
    const sent = await call('send', { to: 'u1', message: 'note', channel: 'memory', idempotencyKey: 'k' });
    expect(sent).toMatchObject({ runId: 'k', channel: 'memory', accountId: 'default', chunks: 1 });
    expect(adapter.visible.at(-1)).toMatchObject({ to: 'u1', text: 'note' });
  });

  it('an unknown pairing code is a clear error', async () => {
    await expect(call('pairing.approve', { channel: 'memory', code: 'ZZZZZZZZ' })).rejects.toMatchObject({
      code: 'PAIRING_CODE_NOT_FOUND',
    });
  });
});
