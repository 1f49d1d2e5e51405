import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ToolOutput } from '../../agent/index.js';
import { createExecTools, type ExecTools } from './index.js';
import { body, ctxFor, makeShimBox, type ShimBox, testConfig } from './test-support.js';

const HOST_PATH = '/usr/local/bin:/usr/bin:/bin';

/** Poll a background process until `done(output so far)` or the process ends (bounded). */
async function pollUntil(t: ExecTools, id: string, done: (all: string) => boolean, session = ctxFor()) {
  let all = '';
  for (let i = 0; i < 400; i++) {
    const out = body(
      await t.process.execute({ action: 'poll', processId: id }, session, new AbortController().signal),
    );
    all += String(out.output ?? '');
    if (done(all) || out.status !== 'running') return { all, status: out.status, exitCode: out.exitCode };
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`process ${id} never produced the expected output: ${all}`);
}

/** Running (a zombie waiting for a reaper counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('exec and process tools', () => {
  let box: ShimBox;
  let notes: Array<[string, string]>;
  const signal = () => new AbortController().signal;

  function tools(exec: Parameters<typeof testConfig>[0] = {}, env: Record<string, string> = {}) {
    const config = testConfig({ security: 'full', ...exec });
    return createExecTools({
      config: () => config,
      workspaceDir: () => box.ws,
      env: { PATH: HOST_PATH, HOME: box.root, ...env },
      notify: (sessionKey, text) => notes.push([sessionKey, text]),
      killGraceMs: 200,
    });
  }
  const exec = async (t: ExecTools, args: Record<string, unknown>, s = signal()): Promise<ToolOutput> =>
    t.exec.execute(args as { command: string }, ctxFor(), s);

  beforeEach(() => {
    box = makeShimBox([]);
    notes = [];
  });
  afterEach(() => box.cleanup());

  it('runs in the foreground and returns output and exit code', async () => {
    const t = tools();
    const ok = await exec(t, { command: 'echo hello; echo oops >&2' });
    expect(body(ok)).toMatchObject({ status: 'completed', exitCode: 0 });
    expect(String(body(ok).output)).toContain('hello\n');
    expect(String(body(ok).output)).toContain('oops\n');
    const failed = await exec(t, { command: 'exit 3' });
    expect(body(failed)).toMatchObject({ status: 'failed', exitCode: 3 });
    expect(failed.isError).toBeUndefined();
  });

  it('runs in the workspace, or in a workdir inside it', async () => {
    const t = tools();
    expect(body(await exec(t, { command: 'pwd' })).output).toBe(`${box.ws}\n`);
    await exec(t, { command: 'mkdir sub' });
    expect(body(await exec(t, { command: 'pwd', workdir: 'sub' })).output).toBe(`${join(box.ws, 'sub')}\n`);
    expect(body(await exec(t, { command: 'pwd', workdir: 'missing' })).code).toBe('EXEC_BAD_WORKDIR');
  });

  it('runs allowlisted pipelines, lists and redirections without a shell', async () => {
    writeFileSync(join(box.ws, 'in.txt'), 'b\na\nc\n');
    const t = tools({ security: 'allowlist', ask: 'off', allowlist: ['sort', 'cat', 'ls', 'echo', 'head'] });
    expect(body(await exec(t, { command: 'sort < in.txt | head -n 2' })).output).toBe('a\nb\n');
    await exec(t, { command: 'sort in.txt > out.txt && echo done >> out.txt' });
    expect(readFileSync(join(box.ws, 'out.txt'), 'utf8')).toBe('a\nb\nc\ndone\n');
    // `2>&1 >file`: stderr to the original stdout, stdout to the file.
    const r = body(await exec(t, { command: 'ls missing-file in.txt 2>&1 > ls.txt' }));
    expect(readFileSync(join(box.ws, 'ls.txt'), 'utf8')).toBe('in.txt\n');
    expect(String(r.output)).toContain('missing-file');
    expect(body(await exec(t, { command: "cat <<'EOF'\n$HOME stays literal\nEOF" })).output).toBe(
      '$HOME stays literal\n',
    );
    expect(body(await exec(t, { command: 'cat missing || echo fallback' })).output).toContain('fallback\n');
    expect(body(await exec(t, { command: 'rm in.txt' }))).toMatchObject({ code: 'EXEC_NOT_ALLOWLISTED' });
    mkdirSync(join(box.ws, 'sub'));
    writeFileSync(join(box.ws, 'sub', 'only-here.txt'), '');
    expect(body(await exec(t, { command: 'cd sub && ls' })).output).toBe('only-here.txt\n');
  });

  it('moves a long command to the background after yieldMs and reports its end through notify', async () => {
    const t = tools({ yieldMs: 50 });
    const started = body(await exec(t, { command: 'echo first; sleep 0.5; echo second' }));
    expect(started.status).toBe('running');
    const id = String(started.processId);
    const polled = await pollUntil(t, id, (all) => all.includes('second'));
    expect(polled.all).toContain('second');
    for (let i = 0; i < 200 && notes.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(notes).toHaveLength(1);
    expect(notes[0]?.[0]).toBe(ctxFor().sessionKey);
    expect(notes[0]?.[1]).toContain(id);
    expect(notes[0]?.[1]).toContain('completed with code 0');
    const listed = body(await t.process.execute({ action: 'list' }, ctxFor(), signal()));
    expect(listed.processes).toMatchObject([{ processId: id, status: 'completed', exitCode: 0 }]);
  });

  it('background processes take stdin, show a log tail, and poll returns only new output', async () => {
    const t = tools();
    const started = body(
      await exec(t, { command: 'echo ready; read line; echo "got $line"', background: true }),
    );
    const id = String(started.processId);
    expect((await pollUntil(t, id, (all) => all.includes('ready'))).all).toBe('ready\n');
    const w = body(
      await t.process.execute({ action: 'write', processId: id, data: 'hello\n' }, ctxFor(), signal()),
    );
    expect(w.written).toBe(true);
    const rest = await pollUntil(t, id, (all) => all.includes('got hello'));
    expect(rest.all).toBe('got hello\n');
    const log = body(
      await t.process.execute({ action: 'log', processId: id, tailChars: 9 }, ctxFor(), signal()),
    );
    expect(log.output).toBe('got hello\n'.slice(-9));
  });

  it('kill ends the whole process group, including children it started', async () => {
    const t = tools();
    const started = body(await exec(t, { command: 'sleep 300 & echo $!; wait', background: true }));
    const id = String(started.processId);
    const { all } = await pollUntil(t, id, (s) => /\d+\n/.test(s));
    const childPid = Number(all.trim());
    expect(alive(childPid)).toBe(true);
    const killed = body(await t.process.execute({ action: 'kill', processId: id }, ctxFor(), signal()));
    expect(killed).toMatchObject({ killed: true, status: 'killed' });
    for (let i = 0; i < 100 && alive(childPid); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(childPid)).toBe(false);
  });

  it('kills a command that runs past its timeout', async () => {
    const t = tools({ timeoutSec: 60 });
    const out = await exec(t, { command: 'sleep 30', timeout: 1 });
    expect(body(out)).toMatchObject({ status: 'timeout' });
    expect(out.isError).toBe(true);
  });

  it('kills a foreground command when the run is aborted', async () => {
    const t = tools();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const out = await exec(t, { command: 'sleep 30' }, controller.signal);
    expect(body(out).status).toBe('killed');
  });

  it('caps output, keeping the end', async () => {
    const t = tools({ maxOutputBytes: 1024 });
    const out = String(body(await exec(t, { command: 'seq 1 20000' })).output);
    expect(out).toMatch(/^\[… \d+ earlier characters dropped …\]\n/);
    expect(out.endsWith('19999\n20000\n')).toBe(true);
    expect(out.length).toBeLessThan(1100);
  });

  it('gives each session only its own processes', async () => {
    const t = tools();
    const mine = ctxFor('agent:main:dm:alice');
    const theirs = ctxFor('agent:main:dm:bob');
    const started = body(await t.exec.execute({ command: 'sleep 30', background: true }, mine, signal()));
    const id = String(started.processId);
    expect(body(await t.process.execute({ action: 'list' }, theirs, signal())).processes).toEqual([]);
    const poll = await t.process.execute({ action: 'poll', processId: id }, theirs, signal());
    expect(poll.isError).toBe(true);
    expect((await t.process.execute({ action: 'kill', processId: id }, theirs, signal())).isError).toBe(true);
    expect(body(await t.process.execute({ action: 'list' }, mine, signal())).processes).toMatchObject([
      { processId: id, status: 'running' },
    ]);
    await t.registry.killSession(mine.sessionKey);
    expect(body(await t.process.execute({ action: 'list' }, mine, signal())).processes).toMatchObject([
      { status: 'killed' },
    ]);
  });

  it('passes only inherited variables, never injection names, and a PATH without relative entries', async () => {
    const t = tools(
      {},
      { LD_PRELOAD: '/x.so', SECRET_TOKEN: 'hunter2', LANG: 'C.UTF-8', PATH: `.:${HOST_PATH}:` },
    );
    const out = String(body(await exec(t, { command: 'env' })).output);
    expect(out).not.toContain('LD_PRELOAD');
    expect(out).not.toContain('hunter2');
    expect(out).toContain('LANG=C.UTF-8');
    expect(out).toContain(`PATH=${HOST_PATH}\n`);
  });

  it("applies 'deny', ownerMainSecurity for the owner's main session, and lowers full for tainted turns", async () => {
    const denied = tools({ security: 'deny' });
    expect(body(await exec(denied, { command: 'echo x' })).code).toBe('EXEC_DENIED');
    const config = testConfig({
      security: 'allowlist',
      ask: 'off',
      ownerMainSecurity: 'full',
      allowlist: [],
    });
    let tainted = false;
    const t = createExecTools({
      config: () => config,
      workspaceDir: () => box.ws,
      env: { PATH: HOST_PATH },
      isTainted: () => tainted,
    });
    const main = ctxFor('agent:main:main');
    expect(body(await t.exec.execute({ command: 'echo owner' }, main, signal())).output).toBe('owner\n');
    expect(body(await t.exec.execute({ command: 'echo other' }, ctxFor(), signal())).code).toBe(
      'EXEC_NOT_ALLOWLISTED',
    );
    tainted = true;
    expect(body(await t.exec.execute({ command: 'echo owner' }, main, signal())).code).toBe(
      'EXEC_NOT_ALLOWLISTED',
    );
  });
});
