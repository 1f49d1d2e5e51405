import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ApprovalEvent,
  type ApprovalRequest,
  createExecApprovalsStore,
  decideExec,
  ENV_INJECTION_NAMES,
  type ExecAnalysis,
  effectiveExecPolicy,
  InMemoryApprovalBroker,
  isEnvInjectionName,
  parseShell,
} from './index.js';

function analysis(misses: ExecAnalysis['misses'], refusal?: ExecAnalysis['refusal']): ExecAnalysis {
  const a: ExecAnalysis = {
    command: 'x',
    parsed: parseShell('x'),
    cwd: { path: '/w', ino: 1, dev: 1 },
    static: true,
    entries: [],
    misses,
  };
  if (refusal) a.refusal = refusal;
  return a;
}

describe('decideExec', () => {
  const miss = [{ code: 'not-allowlisted' as const, detail: 'rm is not on the allowlist' }];
  it.each([
    ['deny', 'on-miss', [], 'refuse'],
    ['full', 'off', miss, 'run'],
    ['allowlist', 'off', [], 'run'],
    ['allowlist', 'on-miss', [], 'run'],
    ['allowlist', 'always', [], 'ask'],
    ['allowlist', 'off', miss, 'refuse'],
    ['allowlist', 'on-miss', miss, 'ask'],
    ['allowlist', 'always', miss, 'ask'],
  ] as const)('security %s, ask %s, %j misses → %s', (security, ask, misses, action) => {
    expect(decideExec(analysis([...misses]), { security, ask }).action).toBe(action);
  });

  it('refuses hard refusals even when asking, and says why', () => {
    const d = decideExec(analysis([], { code: 'env-injection', message: 'sets LD_PRELOAD' }), {
      security: 'allowlist',
      ask: 'always',
    });
    expect(d).toMatchObject({ action: 'refuse', code: 'EXEC_REFUSED', message: 'refused: sets LD_PRELOAD' });
    const off = decideExec(analysis(miss), { security: 'allowlist', ask: 'off' });
    expect(off.action === 'refuse' && off.message).toMatch(/rm is not on the allowlist/);
  });
});

describe('effectiveExecPolicy', () => {
  const cfg = { security: 'allowlist' as const, ask: 'on-miss' as const, ownerMainSecurity: 'full' as const };
  it('gives full only to the owner main session on an untainted turn', () => {
    expect(effectiveExecPolicy(cfg, { ownerMain: true, tainted: false }).security).toBe('full');
    expect(effectiveExecPolicy(cfg, { ownerMain: false, tainted: false }).security).toBe('allowlist');
    expect(effectiveExecPolicy(cfg, { ownerMain: true, tainted: true })).toEqual({
      security: 'allowlist',
      ask: 'on-miss',
    });
    expect(
      effectiveExecPolicy({ ...cfg, security: 'deny' }, { ownerMain: false, tainted: true }).security,
    ).toBe('deny');
  });
});

describe('env injection names', () => {
  it('lists at least 30 names and catches prefixes', () => {
    expect(ENV_INJECTION_NAMES.length).toBeGreaterThanOrEqual(30);
    for (const n of [
      'LD_PRELOAD',
      'DYLD_INSERT_LIBRARIES',
      'BASH_FUNC_x%%',
      'npm_config_script_shell',
      'PS4',
    ]) {
      expect(isEnvInjectionName(n), n).toBe(true);
    }
    expect(isEnvInjectionName('LANG')).toBe(false);
  });
});

describe('InMemoryApprovalBroker', () => {
  const req = (id: string): ApprovalRequest => ({
    id,
    sessionKey: 'agent:main:dm:x',
    agentId: 'main',
    command: 'rm x',
    argv: ['rm', 'x'],
    commands: [['rm', 'x']],
    cwd: '/w',
    reason: 'not-allowlisted',
    expiresAtMs: 0,
  });

  it('lists pending requests, resolves by id and reports events', async () => {
    const broker = new InMemoryApprovalBroker({ clock: { now: () => 42, monotonic: () => 0 } });
    const events: ApprovalEvent[] = [];
    broker.subscribe((e) => events.push(e));
    const answer = broker.request(req('a'), new AbortController().signal);
    expect(broker.pending()).toMatchObject([{ id: 'a', argv: ['rm', 'x'], createdAtMs: 42 }]);
    expect(broker.resolve('nope', 'allow-once')).toBe(false);
    expect(broker.resolve('a', 'allow-always')).toBe(true);
    expect(await answer).toBe('allow-always');
    expect(broker.pending()).toEqual([]);
    expect(broker.resolve('a', 'deny')).toBe(false);
    expect(events.map((e) => e.type)).toEqual(['requested', 'resolved']);
    expect(events[1]).toEqual({ type: 'resolved', id: 'a', decision: 'allow-always', by: 'operator' });
  });

  it('denies when the signal aborts (timeout) or is already aborted', async () => {
    const broker = new InMemoryApprovalBroker();
    const controller = new AbortController();
    const answer = broker.request(req('b'), controller.signal);
    controller.abort();
    expect(await answer).toBe('deny');
    expect(broker.pending()).toEqual([]);
    expect(await broker.request(req('c'), AbortSignal.abort())).toBe('deny');
  });
});

describe('createExecApprovalsStore', () => {
  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('reads a missing file as empty, appends entries, and refuses invalid files', async () => {
    dir = mkdtempSync(join(tmpdir(), 'carapace-approvals-'));
    const path = join(dir, 'nested', 'exec-approvals.json');
    const store = createExecApprovalsStore({ path, clock: { now: () => 7, monotonic: () => 0 } });
    expect((await store.get()).file).toEqual({ version: 1, entries: [] });
    const added = await Promise.all([
      store.add({ argv: ['make'], match: 'exact' }),
      store.add({ argv: ['npm', 'test'], match: 'prefix', agentId: 'a' }),
    ]);
    expect(added.map((e) => e.createdAtMs)).toEqual([7, 7]);
    expect((await store.rules()).map((r) => [r.label, r.match, r.agentId])).toEqual([
      ['make', 'exact', undefined],
      ['npm test', 'prefix', 'a'],
    ]);
    await expect(store.set({ version: 1, entries: [{ argv: [] }] } as never)).rejects.toMatchObject({
      code: 'EXEC_APPROVALS_INVALID',
    });
    writeFileSync(path, 'not json');
    await expect(store.rules()).rejects.toMatchObject({ code: 'EXEC_APPROVALS_INVALID' });
  });
});
