import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeModelConfig } from '../../test/fakes/fake-model-config.js';
import { type FakeModelServer, startFakeModelServer } from '../../test/fakes/fake-model-server.js';
import { spawnCli } from '../../test/helpers/cli.js';
import { type Harness, startGateway } from '../../test/helpers/gateway-harness.js';

// The built CLI as a child process against a real in-process gateway and the fake model server.
// (runCli is synchronous and would block this process, and with it the gateway, so runs are async.)

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let fake: FakeModelServer;
let home: string;
beforeAll(async () => {
  fake = await startFakeModelServer();
  home = await mkdtemp(join(tmpdir(), 'carapace-cli-home-'));
});
afterAll(async () => {
  await fake.close();
  await rm(home, { recursive: true, force: true });
});

const env = () => ({ HOME: home, CARAPACE_STATE_DIR: home, NO_COLOR: '1' });

function start(h: Harness, args: string[]) {
  return spawnCli([...args, '--url', h.url, '--token', h.token ?? ''], env());
}

function finish(child: ReturnType<typeof spawnCli>): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

const carapace = (h: Harness, args: string[]) => finish(start(h, args));

const modelConfig = () => fakeModelConfig(fake, { contextWindow: 10_000 });

describe('agent, sessions and usage against a gateway with a model', { timeout: 120_000 }, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startGateway(modelConfig());
  });
  afterAll(() => h.cleanup());

  it('agent writes the streamed reply to stdout and a summary to stderr', async () => {
    fake.enqueue({ type: 'reply', text: ['a', 'b'], usage: { input: 100, output: 20 } });
    const run = await carapace(h, ['agent', '--message', 'hi']);
    expect(run.stderr).toContain('fake/m');
    expect(run.stderr).toContain('100 in / 20 out tokens');
    expect(run).toMatchObject({ code: 0, stdout: 'ab\n' });
    expect(fake.requests.at(-1)?.body.messages).toContainEqual({ role: 'user', content: 'hi' });
  });

  it('agent --json prints only the final result, for the session asked for', async () => {
    fake.enqueue({ type: 'reply', text: ['c'], usage: { input: 50, output: 5 } });
    const run = await carapace(h, ['agent', '-m', 'hello', '--session', 'agent:main:dm:u1', '--json']);
    expect(run.code).toBe(0);
    const final = JSON.parse(run.stdout) as { status: string; result: { payloads: { text: string }[] } };
    expect(final.status).toBe('ok');
    expect(final.result.payloads).toEqual([{ text: 'c' }]);
  });

  it('sessions list: a table with key, agent, age, messages and tokens; --limit, --search, --json', async () => {
    const table = await carapace(h, ['sessions', 'list']);
    expect(table.code).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(/^KEY\s+AGENT\s+UPDATED\s+MESSAGES\s+TOKENS$/);
    expect(table.stdout).toMatch(/^agent:main:main\s+main\s+(just now|\d+s ago)\s+2\s+120$/m);
    expect(table.stdout).toMatch(/^agent:main:dm:u1\s+main\s+(just now|\d+s ago)\s+2\s+55$/m);
    expect(table.stdout).toContain('2 of 2 sessions');
    const one = await carapace(h, ['sessions', 'list', '--limit', '1']);
    expect(one.stdout).toContain('1 of 2 sessions (use --limit 2 to see all)');
    expect(one.stdout).toContain('agent:main:dm:u1'); // newest first
    const found = await carapace(h, ['sessions', 'list', '--search', 'u1', '--json']);
    const payload = JSON.parse(found.stdout) as { total: number; sessions: { key: string }[] };
    expect(payload.total).toBe(1);
    expect(payload.sessions.map((s) => s.key)).toEqual(['agent:main:dm:u1']);
    const none = await carapace(h, ['sessions', 'list', '--active', '1', '--search', 'nothing-like-this']);
    expect(none.stdout).toBe('no sessions match these filters\n');
  });

  it('usage: tokens per session (most first) and the totals; --session takes the main alias', async () => {
    const json = await carapace(h, ['usage', '--json']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as {
      sessions: { key: string; totalTokens: number }[];
      totals: Record<string, number>;
    };
    expect(report.sessions.map((s) => [s.key, s.totalTokens])).toEqual([
      ['agent:main:main', 120],
      ['agent:main:dm:u1', 55],
    ]);
    expect(report.totals).toEqual({ messages: 4, inputTokens: 150, outputTokens: 25, totalTokens: 175 });
    const table = await carapace(h, ['usage']);
    expect(table.stdout).toMatch(/^total \(2 sessions\)\s+4\s+150\s+25\s+175$/m);
    const main = await carapace(h, ['usage', '--session', 'main', '--json']);
    expect((JSON.parse(main.stdout) as { totals: { totalTokens: number } }).totals.totalTokens).toBe(120);
    const missing = await carapace(h, ['usage', '--session', 'agent:main:dm:nobody']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain("no session 'agent:main:dm:nobody'");
  });

  it('sessions show: the newest messages, readable; --limit pages; a missing session exits 1', async () => {
    const show = await carapace(h, ['sessions', 'show', 'main']);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^Session agent:main:main \(\S+\): 2 messages$/m);
    expect(show.stdout).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] user\n {2}hi$/m);
    expect(show.stdout).toMatch(/^\[[^\]]+\] assistant \([^)]*120 tokens\)\n {2}ab$/m);
    const last = await carapace(h, ['sessions', 'show', 'main', '--limit', '1']);
    expect(last.stdout).toContain('older messages not shown');
    expect(last.stdout).not.toContain('  hi');
    const missing = await carapace(h, ['sessions', 'show', 'agent:main:dm:zzz']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no session 'agent:main:dm:zzz'");
  });

  it('sessions reset starts a fresh session for the key and keeps the old id in the answer', async () => {
    const reset = await carapace(h, ['sessions', 'reset', 'main']);
    expect(reset.code).toBe(0);
    expect(reset.stdout).toMatch(
      /^Reset agent:main:main: new session \S+ \(previous \S+; its transcript is kept\)$/m,
    );
    const show = await carapace(h, ['sessions', 'show', 'main']);
    expect(show.stdout).toMatch(/: 0 messages$/m);
  });

  it('sessions delete asks first: without a terminal and without --yes it refuses and deletes nothing', async () => {
    const refused = await carapace(h, ['sessions', 'delete', 'agent:main:dm:u1']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('pass --yes');
    expect((await carapace(h, ['sessions', 'list'])).stdout).toContain('agent:main:dm:u1');
    const deleted = await carapace(h, ['sessions', 'delete', 'agent:main:dm:u1', '--yes']);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toMatch(/^Deleted agent:main:dm:u1 \(transcript archived at .+\.deleted\.\d+\)$/m);
    const list = await carapace(h, ['sessions', 'list']);
    expect(list.stdout).not.toContain('agent:main:dm:u1');
    expect(list.stdout).toContain('1 of 1 session');
    const again = await carapace(h, ['sessions', 'delete', 'agent:main:dm:u1', '--yes']);
    expect(again).toMatchObject({ code: 0, stdout: "no session 'agent:main:dm:u1': nothing to delete\n" });
  });
});

describe('agent while the reply is still coming', { timeout: 120_000 }, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startGateway(modelConfig());
  });
  afterAll(() => h.cleanup());

  it('shows the first delta before the run ends; Ctrl-C aborts the run in the gateway', async () => {
    fake.enqueue({ type: 'reply', text: ['first ', 'never sent'], stallAfter: 1 });
    const child = start(h, ['agent', '--message', 'stream please']);
    const done = finish(child);
    await new Promise<void>((resolve) => {
      const onData = (d: Buffer) => {
        if (d.toString().includes('first')) {
          child.stdout.off('data', onData);
          resolve();
        }
      };
      child.stdout.on('data', onData);
    });
    expect(child.exitCode).toBeNull(); // the model is still "typing": the delta came out mid-run
    child.kill('SIGINT');
    const run = await done;
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('first \n');
    expect(run.stderr).toContain('the run stopped before it finished (aborted)');
  });
});

describe('agent without a model', { timeout: 60_000 }, () => {
  it("exits 1 with the gateway's message on how to configure one", async () => {
    const h = await startGateway({});
    try {
      const run = await carapace(h, ['agent', '--message', 'hi']);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('no model is configured');
      expect(run.stderr).toContain('carapace.json');
      const missing = await carapace(h, ['agent']);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('--message is required');
    } finally {
      await h.cleanup();
    }
  });
});
