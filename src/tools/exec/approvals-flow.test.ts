import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ApprovalDecision,
  type ApprovalRequest,
  createExecApprovalsStore,
  type ExecApprovalsStore,
  InMemoryApprovalBroker,
} from '../approvals/index.js';
import { createExecTools } from './index.js';
import { body, ctxFor, makeShimBox, type ShimBox, testConfig } from './test-support.js';

/** Approval round trips through the in-memory broker, and SEC-07's "0 runs after a change". */
describe('exec approvals flow', () => {
  let box: ShimBox;
  let broker: InMemoryApprovalBroker;
  let store: ExecApprovalsStore;
  let requests: ApprovalRequest[];
  /** What the operator answers; `onRequest` runs first (to change the world between ask and answer). */
  let answer: ApprovalDecision | 'never';
  let onRequest: (req: ApprovalRequest) => void;
  let extraPath: string;

  function tools(exec: Parameters<typeof testConfig>[0] = {}) {
    const config = testConfig({ allowlist: ['ls', 'echo'], approvalTimeoutSec: 5, ...exec });
    return createExecTools({
      config: () => config,
      workspaceDir: () => box.ws,
      env: { PATH: `${extraPath}:${box.binDir}`, HOME: box.root },
      broker,
      store,
    });
  }

  async function run(command: string, opts: { workdir?: string; agentId?: string } = {}) {
    const t = tools();
    const ctx = ctxFor(`agent:${opts.agentId ?? 'main'}:dm:peer`, opts.agentId ?? 'main');
    const args = opts.workdir ? { command, workdir: opts.workdir } : { command };
    return body(await t.exec.execute(args, ctx, new AbortController().signal));
  }

  beforeEach(() => {
    box = makeShimBox(['ls', 'echo', 'rm', 'make']);
    extraPath = join(box.root, 'early-bin');
    mkdirSync(extraPath);
    store = createExecApprovalsStore({ path: join(box.stateDir, 'exec-approvals.json') });
    broker = new InMemoryApprovalBroker();
    requests = [];
    answer = 'deny';
    onRequest = () => undefined;
    broker.subscribe((e) => {
      if (e.type !== 'requested') return;
      requests.push(e.request);
      onRequest(e.request);
      if (answer !== 'never') broker.resolve(e.request.id, answer);
    });
  });

  afterEach(() => box.cleanup());

  it('allow-once runs the exact argv once and asks again next time', async () => {
    answer = 'allow-once';
    expect((await run('rm -f build.o')).status).toBe('completed');
    expect(box.readLog()).toEqual([['rm', '-f', 'build.o']]);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      command: 'rm -f build.o',
      argv: ['rm', '-f', 'build.o'],
      cwd: box.ws,
      agentId: 'main',
      sessionKey: 'agent:main:dm:peer',
      resolvedPath: join(box.binDir, 'rm'),
    });
    await run('rm -f build.o');
    expect(requests).toHaveLength(2);
  });

  it('allow-always persists an exact, pinned entry and reuses it without asking', async () => {
    answer = 'allow-always';
    const first = await run('make test');
    expect(first.status).toBe('completed');
    expect(first.note).toMatch(/added to the exec allowlist/);
    const saved = JSON.parse(readFileSync(join(box.stateDir, 'exec-approvals.json'), 'utf8'));
    expect(saved.version).toBe(1);
    expect(saved.entries).toHaveLength(1);
    expect(saved.entries[0]).toMatchObject({ argv: ['make', 'test'], match: 'exact', agentId: 'main' });
    expect(saved.entries[0].binaries[0].path).toBe(join(box.binDir, 'make'));
    expect((statSync(join(box.stateDir, 'exec-approvals.json')).mode & 0o777).toString(8)).toBe('600');

    answer = 'deny';
    expect((await run('make test')).status).toBe('completed');
    expect(requests).toHaveLength(1);
    // Exact: other arguments, or another agent, are not covered.
    expect((await run('make test install')).status).toBe('refused');
    expect((await run('make test', { agentId: 'other' })).status).toBe('refused');
    expect(requests).toHaveLength(3);
    expect(box.readLog()).toEqual([
      ['make', 'test'],
      ['make', 'test'],
    ]);
  });

  it('an allow-always entry stops matching once the binary changes', async () => {
    answer = 'allow-always';
    await run('make test');
    box.writeShim('make', box.binDir, 'echo changed');
    answer = 'deny';
    expect((await run('make test')).status).toBe('refused');
    expect(requests).toHaveLength(2);
    expect(box.readLog()).toEqual([['make', 'test']]);
  });

  it('deny refuses and runs nothing', async () => {
    answer = 'deny';
    const out = await run('rm -rf data');
    expect(out).toMatchObject({ status: 'refused', code: 'EXEC_APPROVAL_DENIED' });
    expect(box.readLog()).toEqual([]);
  });

  it('no answer within approvalTimeoutSec is a deny, and the request leaves the pending list', async () => {
    answer = 'never';
    const t = tools({ approvalTimeoutSec: 1 });
    const out = body(
      await t.exec.execute({ command: 'rm -rf data' }, ctxFor(), new AbortController().signal),
    );
    expect(out).toMatchObject({ status: 'refused', code: 'EXEC_APPROVAL_TIMEOUT' });
    expect(String(out.message)).toMatch(/no operator answered within 1 s \(tools.exec.approvalTimeoutSec\)/);
    expect(broker.pending()).toEqual([]);
    expect(box.readLog()).toEqual([]);
  });

  it('without a broker, a command that needs approval is refused', async () => {
    const config = testConfig({ allowlist: ['ls'] });
    const t = createExecTools({
      config: () => config,
      workspaceDir: () => box.ws,
      env: { PATH: box.binDir },
    });
    const out = body(await t.exec.execute({ command: 'rm x' }, ctxFor(), new AbortController().signal));
    expect(out).toMatchObject({ status: 'refused', code: 'EXEC_APPROVAL_UNAVAILABLE' });
  });

  it('a binary swapped while the operator decides is not run (SEC-07)', async () => {
    answer = 'allow-once';
    onRequest = () => box.writeShim('rm', box.binDir, `touch '${join(box.root, 'SWAPPED')}'`);
    const out = await run('rm -rf data');
    expect(out).toMatchObject({ status: 'refused', code: 'EXEC_CHANGED_AFTER_APPROVAL' });
    expect(box.readLog()).toEqual([]);
    expect(() => statSync(join(box.root, 'SWAPPED'))).toThrow();
  });

  it('a program planted earlier on PATH after approval is not run', async () => {
    answer = 'allow-once';
    onRequest = () => box.writeShim('rm', extraPath);
    const out = await run('rm -rf data');
    expect(out.code).toBe('EXEC_CHANGED_AFTER_APPROVAL');
    expect(box.readLog()).toEqual([]);
  });

  it('a working directory replaced after approval is not used', async () => {
    mkdirSync(join(box.ws, 'sub'));
    answer = 'allow-once';
    onRequest = () => {
      renameSync(join(box.ws, 'sub'), join(box.ws, 'sub-old'));
      mkdirSync(join(box.ws, 'sub'));
    };
    const out = await run('rm -rf data', { workdir: 'sub' });
    expect(out.code).toBe('EXEC_CHANGED_AFTER_APPROVAL');
    expect(box.readLog()).toEqual([]);
  });

  it('a dynamic command approved once runs through the shell; allow-always does not persist it', async () => {
    answer = 'allow-always';
    const out = await run('echo "$(echo dyn)"');
    expect(out.status).toBe('completed');
    expect(out.output).toBe('dyn\n');
    expect(out.note).toMatch(/approved once/);
    expect((await store.get()).file.entries).toEqual([]);
    await run('echo "$(echo dyn)"');
    expect(requests).toHaveLength(2);
  });

  it('ask = always asks even for allowlisted commands', async () => {
    answer = 'allow-once';
    const t = tools({ ask: 'always' });
    const out = body(await t.exec.execute({ command: 'ls' }, ctxFor(), new AbortController().signal));
    expect(out.status).toBe('completed');
    expect(requests).toHaveLength(1);
    expect(requests[0]?.reason).toMatch(/ask = always/);
  });

  it('an aborted run withdraws its approval request', async () => {
    answer = 'never';
    const t = tools();
    const controller = new AbortController();
    onRequest = () => setImmediate(() => controller.abort());
    const out = body(await t.exec.execute({ command: 'rm x' }, ctxFor(), controller.signal));
    expect(out.code).toBe('EXEC_APPROVAL_DENIED');
    expect(broker.pending()).toEqual([]);
    expect(box.readLog()).toEqual([]);
  });

  it('the approvals file is exposed for exec.approvals.get/set with compare-and-set', async () => {
    const snap = await store.get();
    expect(snap.file).toEqual({ version: 1, entries: [] });
    const next = await store.set(
      { version: 1, entries: [{ id: 'a', argv: ['make'], match: 'prefix', createdAtMs: 1 }] },
      snap.hash,
    );
    await expect(store.set({ version: 1, entries: [] }, snap.hash)).rejects.toMatchObject({
      code: 'EXEC_APPROVALS_CONFLICT',
    });
    expect((await store.get()).hash).toBe(next.hash);
    // A prefix entry set by an admin covers `make` with any arguments.
    expect((await run('make all')).status).toBe('completed');
    expect(requests).toHaveLength(0);
    writeFileSync(join(box.stateDir, 'exec-approvals.json'), '{"version":2}');
    await expect(store.get()).rejects.toMatchObject({ code: 'EXEC_APPROVALS_INVALID' });
    // A broken file counts as no entries: the command asks again.
    expect((await run('make all')).status).toBe('refused');
    expect(requests).toHaveLength(1);
  });
});
