import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeModelConfig } from '../../../test/fakes/fake-model-config.js';
import { type FakeModelServer, startFakeModelServer } from '../../../test/fakes/fake-model-server.js';
import { runCli } from '../../../test/helpers/cli.js';
import { startGateway } from '../../../test/helpers/gateway-harness.js';
import { connectedClient } from '../../../test/helpers/ws-client.js';

// `carapace tools list` reads the config locally (no gateway) and must list exactly what a gateway turn offers.

interface Row {
  name: string;
  allowed: boolean;
  available: boolean;
  offered: boolean;
  groups: string[];
  unavailableReason?: string;
  rule: { kind: string; path: string; level: string; entry?: string };
}
interface ListJson {
  agentId: string;
  sessionKey: string;
  profile: string;
  profileSource: string;
  tools: Row[];
  unknownEntries: string[];
  exec: {
    security: string;
    sandboxed: boolean;
    ownerMain: boolean;
    configAllowlist: number;
    approvedEntries: number;
  };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-cli-tools-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function carapace(args: string[], stateDir = dir) {
  return runCli(args, { HOME: stateDir, CARAPACE_STATE_DIR: stateDir, NO_COLOR: '1' });
}

function listJson(args: string[] = [], stateDir = dir): ListJson {
  const res = carapace(['tools', 'list', '--json', ...args], stateDir);
  expect(res.stderr).toBe('');
  expect(res.status).toBe(0);
  return JSON.parse(res.stdout) as ListJson;
}

const CONFIG = {
  tools: { deny: ['web_fetch'], allow: ['cron', 'frobnicate'], exec: { allowlist: ['ls', 'git status'] } },
  agents: {
    list: [
      { id: 'main', default: true },
      { id: 'ops', tools: { profile: 'minimal', allow: ['group:runtime'], deny: ['process'] } },
    ],
  },
  memory: { enabled: false },
};

describe('carapace tools list', { timeout: 120_000 }, () => {
  beforeEach(async () => {
    await writeFile(join(dir, 'carapace.json'), JSON.stringify(CONFIG), { mode: 0o600 });
  });

  it('every tool with its decision and the setting that decided, for the default agent', () => {
    const out = listJson();
    expect(out).toMatchObject({ agentId: 'main', sessionKey: 'agent:main:main', profile: 'coding' });
    const by = Object.fromEntries(out.tools.map((t) => [t.name, t]));
    expect(by.read).toMatchObject({ allowed: true, offered: true, groups: ['group:fs'] });
    expect(by.read?.rule).toMatchObject({ kind: 'profile', entry: 'group:fs' });
    expect(by.web_fetch).toMatchObject({ allowed: false, offered: false });
    expect(by.web_fetch?.rule).toEqual({
      kind: 'deny',
      path: 'tools.deny[0]',
      level: 'global',
      entry: 'web_fetch',
    });
    expect(by.cron?.rule).toMatchObject({ kind: 'allow', path: 'tools.allow[0]', entry: 'cron' });
    expect(by.message).toMatchObject({ allowed: false, rule: { kind: 'none' } });
    for (const name of ['exec', 'process', 'cron', 'sessions_send', 'session_status', 'message']) {
      expect(by[name]?.available, name).toBe(true);
    }
    expect(by.memory_search).toMatchObject({
      available: false,
      unavailableReason: 'turned off (memory.enabled)',
    });
    expect(out.unknownEntries).toEqual(["tools.allow[1] 'frobnicate': no such tool"]);
    expect(out.exec).toMatchObject({
      security: 'allowlist',
      ownerMain: true,
      sandboxed: false,
      configAllowlist: 2,
    });
    expect(out.exec.approvedEntries).toBe(0);
  });

  it('per-agent rules, and --session decides whether exec is sandboxed', () => {
    const out = listJson(['--agent', 'ops', '--session', 'agent:ops:dm:bob']);
    expect(out).toMatchObject({ agentId: 'ops', sessionKey: 'agent:ops:dm:bob', profile: 'minimal' });
    expect(out.profileSource).toBe('agents.list[1].tools.profile');
    const by = Object.fromEntries(out.tools.map((t) => [t.name, t]));
    expect(by.exec).toMatchObject({
      allowed: true,
      rule: { kind: 'allow', level: 'agent', path: 'agents.list[1].tools.allow[0]', entry: 'group:runtime' },
    });
    expect(by.process).toMatchObject({
      allowed: false,
      rule: { kind: 'deny', level: 'agent', path: 'agents.list[1].tools.deny[0]' },
    });
    expect(by.read).toMatchObject({ allowed: false, rule: { kind: 'none', level: 'agent' } });
    expect(out.tools.filter((t) => t.offered).map((t) => t.name)).toEqual(['session_status', 'exec', 'cron']);
    expect(out.exec).toMatchObject({ ownerMain: false, sandboxed: true });
    // The session alone names the agent.
    expect(listJson(['--session', 'agent:ops:main'])).toMatchObject({ agentId: 'ops' });
  });

  it('prints a table with the status and rule of each tool, and warns about unknown entries', () => {
    const res = carapace(['tools', 'list']);
    expect(res.status).toBe(0);
    expect(res.stdout).toContain("Tools for agent main, session agent:main:main: profile 'coding'");
    expect(res.stdout).toMatch(/^web_fetch\s+group:web\s+denied\s+tools\.deny\[0\] 'web_fetch'$/m);
    expect(res.stdout).toMatch(/^cron\s+group:automation\s+allowed\s+tools\.allow\[0\] 'cron'$/m);
    expect(res.stdout).toMatch(/^memory_get\s+group:memory\s+unavailable\s+turned off \(memory\.enabled\)/m);
    expect(res.stdout).toMatch(
      /exec here: security allowlist, ask on-miss, approval timeout 120 s; not sandboxed/,
    );
    expect(res.stdout).toContain("warning: tools.allow[1] 'frobnicate': no such tool");
  });

  it('an unknown agent fails with the configured ones; --agent and --session must agree', () => {
    const unknown = carapace(['tools', 'list', '--agent', 'nope']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("unknown agent 'nope' (configured: main, ops)");
    const mismatch = carapace(['tools', 'list', '--agent', 'main', '--session', 'agent:ops:main']);
    expect(mismatch.status).toBe(2);
    expect(mismatch.stderr).toContain("belongs to agent 'ops', not 'main'");
  });
});

describe('tools list and a gateway turn agree', { timeout: 120_000 }, () => {
  let fake: FakeModelServer;
  beforeAll(async () => {
    fake = await startFakeModelServer();
  });
  afterAll(() => fake.close());

  it('the tools the CLI says are offered are exactly the tools the model is sent', async () => {
    const h = await startGateway({
      ...fakeModelConfig(fake),
      tools: { profile: 'full', deny: ['web_search', 'group:messaging'] },
    });
    try {
      const c = await connectedClient(h.url, h.token);
      fake.enqueue({ type: 'reply', text: 'hi' });
      await c.request('agent', { message: 'hello', idempotencyKey: 'agree-1' });
      await c.waitFor((f) => f.type === 'res' && (f.payload as { status: string }).status === 'ok', 10_000);
      c.close();
      const sent = ((fake.requests.at(-1)?.body.tools as { function: { name: string } }[]) ?? []).map(
        (t) => t.function.name,
      );
      const listed = listJson([], h.stateDir)
        .tools.filter((t) => t.offered)
        .map((t) => t.name);
      expect(sent.length).toBeGreaterThan(10);
      expect(listed).toEqual(sent);
    } finally {
      await h.cleanup();
    }
  });
});
