/**
 * SEC-07 end to end (the 300-string bypass corpus with shims and strace: src/tools/exec/bypass.test.ts).
 * Through a real gateway and an operator on the WebSocket: 30 commands that need approval, with quoting,
 * spaces, option-like arguments, unicode, pipelines, lists and redirections. Every program on PATH is a
 * recording shim, so what a program receives at exec time is what the shim logs. Pass bar: the argv
 * each program ran with equals the argv the operator approved, for 100 %; a binary swapped, or a working
 * directory replaced, while the operator decides runs nothing; allow-once covers one run only.
 */
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeModelServer, startFakeModelServer } from '../fakes/fake-model-server.js';
import { type Harness, startGateway } from '../helpers/gateway-harness.js';
import { connectedClient, type TestClient } from '../helpers/ws-client.js';
import { fakeModelConfig, finalOf } from './support.js';

const PROGRAMS = ['touch', 'mkdir', 'uname', 'python3', 'node', 'tr', 'rev', 'nl'];
let root: string;
let bin: string;
let log: string;
let fake: FakeModelServer;
let h: Harness;
let owner: TestClient;
let operator: TestClient;
/** What the operator does when asked (default: approve once). */
let onRequest: (req: { id: string; argv: string[]; commands: string[][] }) => Promise<string> = async () =>
  'allow-once';
const approved: string[][][] = [];

async function shim(name: string, extra = ''): Promise<void> {
  const path = join(bin, name);
  await writeFile(
    path,
    `#!/bin/sh\nprintf '%s\\037' '${name}' "$@" >> '${log}'\nprintf '\\n' >> '${log}'\n${extra}\n`,
  );
  await chmod(path, 0o755);
}

async function ran(): Promise<string[][]> {
  const text = await readFile(log, 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\x1f').slice(0, -1));
}

let n = 0;
async function execTurn(command: string, workdir?: string): Promise<string> {
  const key = `sec07-${++n}`;
  fake.enqueue(
    {
      type: 'reply',
      toolCalls: [{ id: key, name: 'exec', args: { command, ...(workdir ? { workdir } : {}) } }],
    },
    { type: 'reply', text: 'ok' },
  );
  const before = fake.requests.length;
  await owner.request('agent', {
    message: `run ${command}`,
    sessionKey: 'agent:main:dm:sec07',
    idempotencyKey: key,
  });
  await finalOf(owner, key);
  const tool = ((fake.requests[before + 1]?.body.messages ?? []) as { role: string; content: string }[])
    .filter((m) => m.role === 'tool')
    .at(-1);
  return tool?.content ?? '';
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'carapace-sec07-'));
  bin = join(root, 'bin');
  log = join(root, 'exec.log');
  await mkdir(bin);
  await writeFile(log, '');
  for (const p of PROGRAMS) await shim(p);
  fake = await startFakeModelServer();
  h = await startGateway(
    {
      ...fakeModelConfig(fake),
      tools: { exec: { allowlist: ['cat', 'echo'], approvalTimeoutSec: 20 }, sandbox: { mode: 'off' } },
    },
    { PATH: `${bin}:/usr/bin:/bin` },
  );
  owner = await connectedClient(h.url, h.token);
  operator = await connectedClient(h.url, h.token, { clientId: 'operator' });
  operator.ws.on('message', (data) => {
    const f = JSON.parse(data.toString()) as {
      event?: string;
      payload?: { id: string; argv: string[]; commands: string[][] };
    };
    if (f.event !== 'exec.approval.requested' || !f.payload) return;
    const req = f.payload;
    void onRequest(req).then((decision) => {
      if (decision !== 'deny') approved.push(req.commands);
      return operator.request('exec.approval.resolve', { id: req.id, decision });
    });
  });
});

afterAll(async () => {
  owner?.close();
  operator?.close();
  await h?.cleanup();
  await fake?.close();
  await rm(root, { recursive: true, force: true });
});

const COMMANDS = [
  "touch 'a b.txt'",
  'touch -- -rf',
  'touch "dq \\"inner\\" quote"',
  "touch 'semi;colon' 'pipe|bar' 'amp&er'",
  'touch a\\ b\\ c',
  "touch ''",
  'touch \'a\'"b"c',
  "touch '*' '?' '[x]'",
  "touch '$HOME' '`id`' '$(id)'",
  'touch ünïcødé.txt 日本.txt',
  'touch --no-create --date=2020-01-01 x',
  'mkdir -p "dir with space/sub"',
  'mkdir -m 700 private',
  'uname -a',
  'uname -s -r',
  "python3 -c 'print(1)'",
  'python3 -I -S -c "import sys; print(sys.argv)" a b',
  "node -e 'process.exit(0)'",
  'node --version',
  'touch one && touch two',
  'touch three; touch four',
  'uname | tr a-z A-Z',
  'uname -m | rev | nl',
  'uname > uname.txt',
  'uname -n >> uname.txt',
  'tr a b < uname.txt',
  'touch "$"',
  "touch '\\\\' '\\n'",
  'touch -r uname.txt copy-time',
  'rev uname.txt',
];

describe('SEC-07 approved argv = executed argv (through the gateway)', () => {
  it('30 commands approved by an operator: each program ran with exactly the approved argv', async () => {
    expect(COMMANDS).toHaveLength(30);
    const mismatches: string[] = [];
    for (const command of COMMANDS) {
      await writeFile(log, '');
      const asked = approved.length;
      const out = await execTurn(command);
      expect(approved.length, `${command}: ${out.slice(0, 200)}`).toBe(asked + 1);
      expect(out, command).toMatch(/"status": "completed"/);
      const want = approved
        .at(-1)!
        .map((a) => JSON.stringify(a))
        .sort();
      const got = (await ran()).map((a) => JSON.stringify(a)).sort();
      if (JSON.stringify(want) !== JSON.stringify(got))
        mismatches.push(`${command}: approved ${want} ran ${got}`);
    }
    expect(mismatches).toEqual([]);
  }, 120_000);

  it('allow-once covers one run: the same command asks again', async () => {
    const asked = approved.length;
    await execTurn('uname -o');
    await execTurn('uname -o');
    expect(approved.length).toBe(asked + 2);
  });

  it('a binary swapped while the operator decides runs nothing', async () => {
    await writeFile(log, '');
    onRequest = async () => {
      await shim('touch', `/usr/bin/touch '${join(root, 'SWAPPED-RAN')}'`);
      return 'allow-once';
    };
    const out = await execTurn('touch swapped-target');
    onRequest = async () => 'allow-once';
    await shim('touch');
    expect(out).toContain('EXEC_CHANGED_AFTER_APPROVAL');
    expect(await ran()).toEqual([]);
    await expect(readFile(join(root, 'SWAPPED-RAN'))).rejects.toThrow();
  });

  it('a working directory swapped for a link out of the workspace while the operator decides is not used', async () => {
    const ws = join(h.stateDir, 'workspace');
    await mkdir(join(ws, 'wd'), { recursive: true });
    await mkdir(join(root, 'elsewhere'), { recursive: true });
    await writeFile(log, '');
    onRequest = async () => {
      await rm(join(ws, 'wd'), { recursive: true });
      await symlink(join(root, 'elsewhere'), join(ws, 'wd'));
      return 'allow-once';
    };
    const out = await execTurn('touch in-wd', 'wd');
    onRequest = async () => 'allow-once';
    expect(out).toContain('EXEC_CHANGED_AFTER_APPROVAL');
    expect(await ran()).toEqual([]);
    expect(await readdir(join(root, 'elsewhere'))).toEqual([]);
  });
});
