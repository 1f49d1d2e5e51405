import { chmodSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApprovalRequest, InMemoryApprovalBroker } from '../approvals/index.js';
import { bypassCorpus, CORPUS_ALLOWLIST, CORPUS_PROGRAMS } from './bypass-corpus.test-support.js';
import { createExecTools } from './index.js';
import {
  body,
  ctxFor,
  type ExecveCall,
  ExecveRecorder,
  makeShimBox,
  type ShimBox,
  testConfig,
} from './test-support.js';

/**
 * SEC-07: the bypass corpus under `security: allowlist`. Nothing outside the allowlist may be executed:
 * verified by recording shims (every program on PATH is one) and, where strace is available, by every
 * execve of this process tree. The control commands at the end prove both recorders see real runs.
 */
describe('exec allowlist bypass corpus', () => {
  const corpus = bypassCorpus();
  let box: ShimBox;
  let recorder: ExecveRecorder | undefined;
  let traced = false;
  let execves: ExecveCall[] = [];
  const requests: ApprovalRequest[] = [];
  const results = new Map<string, { status: unknown; code: unknown; asked: boolean }>();

  function tools(ask: 'on-miss' | 'off') {
    const broker = new InMemoryApprovalBroker();
    broker.subscribe((e) => {
      if (e.type !== 'requested') return;
      requests.push(e.request);
      broker.resolve(e.request.id, 'deny');
    });
    const config = testConfig({ allowlist: CORPUS_ALLOWLIST, ask });
    return createExecTools({
      config: () => config,
      workspaceDir: () => box.ws,
      env: { PATH: `.:${box.ws}:${box.binDir}`, HOME: box.root },
      broker,
    });
  }

  beforeAll(async () => {
    box = makeShimBox(CORPUS_PROGRAMS);
    // A planted `./ls` in the workspace (and on the PATH given to exec) that must never run.
    box.writeShim('ls', box.ws, `touch '${join(box.root, 'HIJACKED')}'`);
    box.writeShim('rm', box.ws);
    symlinkSync(join(box.outside, 'target'), join(box.ws, 'link-out'));
    writeFileSync(join(box.ws, 'f.txt'), 'data\n');
    writeFileSync(join(box.ws, 'script.py'), 'print(1)\n');
    chmodSync(join(box.ws, 'script.py'), 0o644);
    if (ExecveRecorder.available()) {
      recorder = new ExecveRecorder(join(box.root, 'strace.log'));
      await recorder.start().catch(() => {
        recorder = undefined;
      });
    }
    for (const ask of ['on-miss', 'off'] as const) {
      const t = tools(ask);
      for (const command of corpus) {
        const before = requests.length;
        const out = await t.exec.execute({ command }, ctxFor(), new AbortController().signal);
        results.set(`${ask}:${command}`, {
          status: body(out).status,
          code: body(out).code,
          asked: requests.length > before,
        });
      }
    }
  });

  afterAll(() => box.cleanup());

  it('has at least 300 distinct command strings', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(300);
  });

  it('refuses every command, asking first when asking is on', () => {
    const ran = [...results].filter(([, r]) => r.status !== 'refused').map(([k]) => k);
    expect(ran).toEqual([]);
    for (const command of corpus) {
      const onMiss = results.get(`on-miss:${command}`)!;
      // Either sent to the operator (and denied there) or refused outright (unknown program, env injection).
      expect(onMiss.asked || onMiss.code === 'EXEC_REFUSED', command).toBe(true);
      if (onMiss.asked) expect(onMiss.code).toBe('EXEC_APPROVAL_DENIED');
      const off = results.get(`off:${command}`)!;
      expect(['EXEC_NOT_ALLOWLISTED', 'EXEC_REFUSED'], command).toContain(off.code);
      expect(off.asked, command).toBe(false);
    }
  });

  it('executed no program at all (shim log empty, no planted binary ran)', () => {
    expect(box.readLog()).toEqual([]);
    expect(() => chmodSync(join(box.root, 'HIJACKED'), 0o644)).toThrow();
  });

  it('gave operators the parsed argv of what needs approval', () => {
    const req = requests.find((r) => r.command === 'ls; rm -rf x');
    expect(req?.commands).toEqual([['rm', '-rf', 'x']]);
    expect(req?.cwd).toBe(box.ws);
    expect(requests.find((r) => r.command === 'ls $(rm x)')?.argv).toEqual(['ls', '$(rm x)']);
  });

  describe('control: allowlisted commands run with exactly their argv', () => {
    const controls: Array<[string, string[][]]> = [
      ['ls -la', [['ls', '-la']]],
      [
        'echo hi | grep h',
        [
          ['echo', 'hi'],
          ['grep', 'h'],
        ],
      ],
      ['git status --short', [['git', 'status', '--short']]],
      ['python3 script.py arg', [['python3', 'script.py', 'arg']]],
      ['sort --check f.txt', [['sort', '--check', 'f.txt']]],
      ['find . -name x -print', [['find', '.', '-name', 'x', '-print']]],
      ['nice -n 5 ls', [['nice', '-n', '5', 'ls']]],
      ["cat < f.txt > out.txt && echo 'a b'", [['cat'], ['echo', 'a b']]],
      ['ls', [['ls']]],
    ];

    it('runs each control through the real binary on the sanitized PATH', async () => {
      const t = tools('off');
      for (const [command, argvs] of controls) {
        box.clearLog();
        const out = await t.exec.execute({ command }, ctxFor(), new AbortController().signal);
        expect(body(out).status, command).toBe('completed');
        // Commands of a pipeline run at the same time: compare as sets.
        expect(
          box
            .readLog()
            .map((a) => a.join(' '))
            .sort(),
          command,
        ).toEqual(argvs.map((a) => a.join(' ')).sort());
      }
      expect(() => chmodSync(join(box.root, 'HIJACKED'), 0o644)).toThrow();
      traced = recorder !== undefined;
      execves = (await recorder?.stop()) ?? [];
    });

    it('execve saw only the control argv (strace, where it can attach)', (ctx) => {
      if (!traced) return ctx.skip();
      expect(execves.length).toBeGreaterThan(0);
      const seen = execves.map((c) => JSON.stringify(c.argv)).sort();
      const expected = controls.flatMap(([, argvs]) => argvs.map((a) => JSON.stringify(a))).sort();
      expect(seen).toEqual(expected);
      for (const c of execves) expect(c.file.startsWith(box.binDir)).toBe(true);
    });
  });
});
