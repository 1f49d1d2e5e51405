import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../test/helpers/cli.js';

// `carapace route` and `carapace agent context` read the config and the workspace locally: no gateway.

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-cli-local-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(config: Record<string, unknown>): Promise<void> {
  await writeFile(join(dir, 'carapace.json'), JSON.stringify(config, null, 2), { mode: 0o600 });
}

/** The built CLI with this test's state dir and nothing else from the environment. */
function carapace(args: string[]) {
  return runCli(args, { HOME: dir, CARAPACE_STATE_DIR: dir, NO_COLOR: '1' });
}

const ROUTING = {
  agents: {
    list: [
      { id: 'main', default: true },
      { id: 'ops' },
      { id: 'work' },
      { id: 'chan' },
      { id: 'guilds' },
      { id: 'teams' },
    ],
  },
  session: { dmScope: 'per-channel-peer' },
  bindings: [
    { agentId: 'chan', match: { channel: 'telegram' } },
    { agentId: 'work', match: { channel: 'telegram', accountId: 'biz' } },
    { agentId: 'ops', match: { channel: 'telegram', peer: { kind: 'dm', id: '42' } } },
    { agentId: 'guilds', match: { channel: 'discord', guildId: 'g1' } },
    { agentId: 'teams', match: { channel: 'slack', teamId: 't1' } },
  ],
};

function routeJson(args: string[]) {
  const res = carapace(['route', ...args, '--json']);
  expect(res.stderr).toBe('');
  expect(res.status).toBe(0);
  return JSON.parse(res.stdout) as {
    agentId: string;
    sessionKey: string;
    matchedBy: string;
    bindingIndex?: number;
    explanation: string;
  };
}

describe('carapace route', { timeout: 60_000 }, () => {
  it('names the agent, session and deciding rule for every tier of binding', async () => {
    await writeConfig(ROUTING);
    expect(routeJson(['--channel', 'telegram', '--peer', 'dm:42'])).toMatchObject({
      agentId: 'ops',
      matchedBy: 'peer',
      bindingIndex: 2,
      sessionKey: 'agent:ops:telegram:dm:42',
    });
    expect(routeJson(['--channel', 'telegram', '--account', 'biz', '--peer', 'dm:7'])).toMatchObject({
      agentId: 'work',
      matchedBy: 'account',
      bindingIndex: 1,
    });
    expect(routeJson(['--channel', 'telegram', '--peer', 'group:g9'])).toMatchObject({
      agentId: 'chan',
      matchedBy: 'channel',
      bindingIndex: 0,
      sessionKey: 'agent:chan:telegram:group:g9',
    });
    expect(
      routeJson(['--channel', 'discord', '--guild', 'g1', '--peer', 'channel:c1', '--thread', 'th1']),
    ).toMatchObject({
      agentId: 'guilds',
      matchedBy: 'guild',
      bindingIndex: 3,
      sessionKey: 'agent:guilds:discord:channel:c1:thread:th1',
    });
    expect(routeJson(['--channel', 'slack', '--team', 't1', '--peer', 'dm:U1'])).toMatchObject({
      agentId: 'teams',
      matchedBy: 'team',
      bindingIndex: 4,
      sessionKey: 'agent:teams:slack:dm:U1',
    });
    const fallback = routeJson(['--channel', 'whatsapp', '--peer', 'dm:+4912345']);
    expect(fallback).toMatchObject({ agentId: 'main', matchedBy: 'default' });
    expect(fallback.bindingIndex).toBeUndefined();
    expect(fallback.explanation).toContain('no binding matched');
  });

  it('explains the decision for people, one step per line', async () => {
    await writeConfig(ROUTING);
    const res = carapace(['route', '--channel', 'telegram', '--peer', 'dm:42']);
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('agent       ops\n');
    expect(res.stdout).toContain('session     agent:ops:telegram:dm:42\n');
    expect(res.stdout).toContain('matched by  peer (binding #2)\n');
    expect(res.stdout).toMatch(/why {9}binding #2 \(channel=telegram, peer=dm:42\) matched by peer/);
    expect(res.stdout).toContain('(dmScope per-channel-peer)');
  });

  it('works without a config file (default agent, main session) and says so', () => {
    const res = carapace(['route', '--channel', 'telegram', '--peer', 'dm:42']);
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('session     agent:main:main');
    expect(res.stdout).toContain('no config file');
  });

  it('refuses a malformed --peer (exit 2) and reports an invalid config with its path (exit 1)', async () => {
    const bad = carapace(['route', '--channel', 'telegram', '--peer', 'friend:1']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--peer must be <kind>:<id>');
    const missing = carapace(['route', '--peer', 'dm:1']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("required option '--channel <channel>'");
    await writeConfig({ ...ROUTING, bindings: [{ agentId: 'ghost', match: { channel: 'irc' } }] });
    const invalid = carapace(['route', '--channel', 'irc']);
    expect(invalid.status).toBe(1);
    expect(invalid.stderr).toContain('bindings[0].agentId');
  });
});

interface ContextJson {
  agentId: string;
  sessionKey: string;
  workspaceDir: string;
  systemPrompt: string;
  chars: number;
  estimatedTokens: number;
  sections: { name: string; chars: number }[];
  files: { name: string; status: string; chars: number; includedChars: number; reason?: string }[];
}

describe('carapace agent context', { timeout: 60_000 }, () => {
  async function workspace(): Promise<string> {
    const ws = join(dir, 'ws');
    await mkdir(ws, { recursive: true });
    await writeFile(join(ws, 'AGENTS.md'), `# Rules\n${'a'.repeat(292)}`); // 300 chars
    await writeFile(join(ws, 'SOUL.md'), 's'.repeat(1500)); // over the 1,000 per-file cap
    await writeFile(join(ws, 'MEMORY.md'), 'remember the milk');
    await writeConfig({
      agents: {
        defaults: { workspace: ws, model: 'fake/m', context: { fileMaxChars: 1000, totalMaxChars: 5000 } },
        list: [{ id: 'main', default: true, name: 'Shelly' }, { id: 'ops' }],
      },
    });
    return ws;
  }

  function contextJson(args: string[]): ContextJson {
    const res = carapace(['agent', 'context', ...args, '--json']);
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    return JSON.parse(res.stdout) as ContextJson;
  }

  it('reports every workspace file with its status and size, the sections and the total', async () => {
    const ws = await workspace();
    const report = contextJson([]);
    expect(report).toMatchObject({ agentId: 'main', sessionKey: 'agent:main:main', workspaceDir: ws });
    const file = (name: string) => report.files.find((f) => f.name === name);
    expect(file('AGENTS.md')).toMatchObject({ status: 'included', chars: 300, includedChars: 300 });
    expect(file('SOUL.md')).toMatchObject({ status: 'truncated', chars: 1500, includedChars: 1000 });
    expect(file('MEMORY.md')).toMatchObject({ status: 'included', chars: 17 });
    expect(file('USER.md')).toMatchObject({ status: 'missing', chars: 0 });
    expect(file('HEARTBEAT.md')).toMatchObject({ status: 'skipped' });
    expect(report.chars).toBe(report.systemPrompt.length);
    expect(report.estimatedTokens).toBe(Math.ceil(report.chars / 4));
    expect(report.sections.map((s) => s.name)).toEqual([
      'identity',
      'tools',
      'skills',
      'workspace',
      'datetime',
      'runtime',
    ]);
    const sum = report.sections.reduce((n, s) => n + s.chars, 0);
    expect(sum + 2 * (report.sections.length - 1)).toBe(report.chars); // sections joined by blank lines
    expect(report.systemPrompt).toContain('You are Shelly');
    expect(report.systemPrompt).toContain('model=fake/m');
    expect(report.systemPrompt).toContain('remember the milk');
    // The tools a gateway turn offers, after the policy: their lines are most of the prompt.
    expect(report.systemPrompt).toMatch(/^- read: /m);
    expect(report.systemPrompt).toMatch(/^- exec: /m);
    expect(report.sections.find((s) => s.name === 'tools')?.chars).toBeGreaterThan(1000);
  });

  it('lists only the tools the policy allows', async () => {
    const ws = await workspace();
    await writeConfig({
      agents: { defaults: { workspace: ws } },
      tools: { deny: ['group:runtime', 'web_fetch'] },
    });
    const report = contextJson([]);
    expect(report.systemPrompt).toMatch(/^- read: /m);
    expect(report.systemPrompt).not.toMatch(/^- (exec|process|web_fetch): /m);
    expect(report.systemPrompt).toContain('model=none configured');
  });

  it('leaves MEMORY.md out of a session that is not main, and follows --session to its agent', async () => {
    await workspace();
    const report = contextJson(['--session', 'agent:ops:telegram:dm:42']);
    expect(report).toMatchObject({ agentId: 'ops', sessionKey: 'agent:ops:telegram:dm:42' });
    // ops has its own (empty) workspace: every file missing, MEMORY.md skipped outside the main session.
    expect(report.files.find((f) => f.name === 'MEMORY.md')).toMatchObject({
      status: 'skipped',
      reason: 'only in the main session',
    });
    expect(report.workspaceDir).toBe(join(dir, 'workspace-ops'));
    const clash = carapace(['agent', 'context', '--agent', 'main', '--session', 'agent:ops:main']);
    expect(clash.status).toBe(2);
    expect(clash.stderr).toContain("belongs to agent 'ops'");
    const unknown = carapace(['agent', 'context', '--agent', 'nobody']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("unknown agent 'nobody' (configured: main, ops)");
  });

  it('prints a table for people, and the whole prompt with --print', async () => {
    await workspace();
    const table = carapace(['agent', 'context']);
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/SOUL\.md\s+truncated\s+1,500\s+1,000/);
    expect(table.stdout).toMatch(/AGENTS\.md\s+included\s+300\s+300/);
    expect(table.stdout).toMatch(/total [\d,]+ chars, ~[\d,]+ tokens/);
    const printed = carapace(['agent', 'context', '--print']);
    expect(printed.status).toBe(0);
    expect(printed.stdout).toContain('### AGENTS.md\n# Rules');
    expect(printed.stdout).toContain('…[truncated: SOUL.md has 1,500 characters');
  });
});
