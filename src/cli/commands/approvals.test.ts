import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeModelConfig } from '../../../test/fakes/fake-model-config.js';
import { type FakeModelServer, startFakeModelServer } from '../../../test/fakes/fake-model-server.js';
import { spawnCli } from '../../../test/helpers/cli.js';
import { type Harness, startGateway } from '../../../test/helpers/gateway-harness.js';
import { connectedClient, type Frame, type TestClient } from '../../../test/helpers/ws-client.js';
import { pickById, quoteArgv } from './approvals.js';

// `carapace approvals …` as a child process against a real in-process gateway whose model asks for exec.

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let fake: FakeModelServer;
let home: string;
let h: Harness;
let c: TestClient;

beforeAll(async () => {
  fake = await startFakeModelServer();
  home = await mkdtemp(join(tmpdir(), 'carapace-cli-approvals-'));
  h = await startGateway({
    ...fakeModelConfig(fake),
    tools: { sandbox: { mode: 'off' } },
  });
  c = await connectedClient(h.url, h.token);
});
afterAll(async () => {
  c.close();
  await h.cleanup();
  await fake.close();
  await rm(home, { recursive: true, force: true });
});

/** The built CLI, asynchronously (a synchronous child would block the in-process gateway). */
function carapace(args: string[]): Promise<Run> {
  const child = spawnCli([...args, '--url', h.url, '--token', h.token ?? ''], {
    HOME: home,
    CARAPACE_STATE_DIR: home,
    NO_COLOR: '1',
  });
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

/** Start a turn whose model calls exec with `command`; resolves with the approval request it raises. */
async function askFor(runId: string, command: string): Promise<{ id: string; command: string }> {
  fake.enqueue(
    { type: 'reply', toolCalls: [{ id: `call-${runId}`, name: 'exec', args: { command } }] },
    { type: 'reply', text: 'done' },
  );
  await c.request('agent', { message: `run ${command}`, idempotencyKey: runId });
  const asked = await c.waitFor(
    (f) => f.event === 'exec.approval.requested' && (f.payload as { command: string }).command === command,
    10_000,
  );
  return asked.payload as { id: string; command: string };
}

const finished = (runId: string) => (f: Frame) =>
  f.type === 'res' &&
  (f.payload as { runId?: string }).runId === runId &&
  (f.payload as { status?: string }).status === 'ok';

const lastToolResult = () =>
  JSON.stringify(
    ((fake.requests.at(-1)?.body.messages as { role: string }[]) ?? [])
      .filter((m) => m.role === 'tool')
      .at(-1),
  );

describe('carapace approvals', { timeout: 120_000 }, () => {
  it('list shows nothing, then a pending request; allow --always runs it and adds it to the allowlist', async () => {
    expect(await carapace(['approvals', 'list'])).toMatchObject({
      code: 0,
      stdout: 'no exec approval requests are waiting\n',
    });
    const request = await askFor('cli-1', 'uname -s');
    const json = await carapace(['approvals', 'list', '--json']);
    expect(json.code).toBe(0);
    const listed = JSON.parse(json.stdout) as { count: number; pending: Record<string, unknown>[] };
    expect(listed.count).toBe(1);
    expect(listed.pending[0]).toMatchObject({
      id: request.id,
      agentId: 'main',
      sessionKey: 'agent:main:main',
      command: 'uname -s',
      argv: ['uname', '-s'],
    });
    const text = await carapace(['approvals', 'list']);
    expect(text.stdout).toMatch(/^ID\s+AGENT\s+SESSION\s+COMMAND\s+CWD\s+ASKED\s+EXPIRES IN$/m);
    expect(text.stdout).toContain(`${request.id.slice(0, 8)}  main   agent:main:main  uname -s`);
    expect(text.stdout).toContain('carapace approvals allow <id> [--always]');

    const allowed = await carapace(['approvals', 'allow', request.id.slice(0, 8), '--always']);
    expect(allowed).toMatchObject({ code: 0, stderr: '' });
    expect(allowed.stdout).toContain('Allowed: uname -s');
    await c.waitFor(finished('cli-1'), 10_000);
    expect(lastToolResult()).toContain('Linux');

    const entries = await carapace(['approvals', 'allowlist', '--json']);
    const file = JSON.parse(entries.stdout) as { entries: { id: string; argv: string[]; agentId: string }[] };
    expect(file.entries).toHaveLength(1);
    expect(file.entries[0]).toMatchObject({ argv: ['uname', '-s'], agentId: 'main' });
    const table = await carapace(['approvals', 'allowlist']);
    expect(table.stdout).toMatch(/^ID\s+AGENT\s+MATCH\s+COMMAND\s+PROGRAM\s+ADDED$/m);
    expect(table.stdout).toMatch(/main\s+exact\s+uname -s\s+\S*uname/);

    const removed = await carapace(['approvals', 'allowlist', 'remove', file.entries[0]!.id.slice(0, 6)]);
    expect(removed).toMatchObject({ code: 0 });
    expect(removed.stdout).toContain('Removed: uname -s');
    const onDisk = JSON.parse(await readFile(join(h.stateDir, 'exec-approvals.json'), 'utf8')) as {
      entries: unknown[];
    };
    expect(onDisk.entries).toEqual([]);
  });

  it('deny refuses the command; an unknown id fails and says where to look', async () => {
    const request = await askFor('cli-2', 'uname -m');
    const denied = await carapace(['approvals', 'deny', request.id]);
    expect(denied).toMatchObject({ code: 0, stdout: 'Denied: uname -m\n' });
    await c.waitFor(finished('cli-2'), 10_000);
    expect(lastToolResult()).toContain('EXEC_APPROVAL_DENIED');
    const again = await carapace(['approvals', 'allow', request.id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`no pending exec approval '${request.id}'`);
    const noEntry = await carapace(['approvals', 'allowlist', 'remove', 'nope']);
    expect(noEntry.code).toBe(1);
    expect(noEntry.stderr).toContain("no approved exec entry 'nope'");
  });
});

describe('approvals helpers', () => {
  it('pickById takes an exact id or a unique prefix and refuses an ambiguous one', () => {
    const items = [{ id: 'abc123' }, { id: 'abd456' }, { id: 'ab' }];
    expect(pickById(items, 'ab', 'entries')).toEqual({ id: 'ab' });
    expect(pickById(items, 'abc', 'entries')).toEqual({ id: 'abc123' });
    expect(pickById(items, 'zz', 'entries')).toBeUndefined();
    expect(() => pickById(items.slice(0, 2), 'ab', 'entries')).toThrow(/matches 2 entries/);
  });

  it('quoteArgv quotes words a shell would split or expand', () => {
    expect(quoteArgv(['git', 'log', '--oneline'])).toBe('git log --oneline');
    expect(quoteArgv(['echo', 'a b', "it's", '$HOME'])).toBe(`echo 'a b' 'it'\\''s' '$HOME'`);
  });
});
