import { describe, expect, it } from 'vitest';
import {
  describeToolRule,
  explainToolPolicy,
  filterTools,
  KNOWN_TOOLS,
  resolveToolPolicy,
  TOOL_GROUPS,
  type ToolPolicySource,
} from './policy.js';

function allowed(config: ToolPolicySource, agentId = 'main'): string[] {
  return resolveToolPolicy(config, agentId)
    .tools.filter((t) => t.allowed)
    .map((t) => t.name);
}

function decision(config: ToolPolicySource, name: string, agentId = 'main') {
  return resolveToolPolicy(config, agentId).tools.find((t) => t.name === name)!;
}

describe('profiles', () => {
  it('minimal, coding (the default), messaging and full', () => {
    expect(allowed({ tools: { profile: 'minimal' } })).toEqual(['session_status']);
    expect(allowed({})).toEqual([
      ...TOOL_GROUPS['group:fs']!,
      'exec',
      'process',
      'web_fetch',
      'web_search',
      'session_status',
      'memory_search',
      'memory_get',
    ]);
    expect(allowed({ tools: { profile: 'messaging' } })).toEqual([
      'web_search',
      'message',
      'session_status',
      'memory_search',
      'memory_get',
    ]);
    expect(allowed({ tools: { profile: 'full' } })).toEqual([...KNOWN_TOOLS]);
  });

  it('reports a decision with a reason for every known tool', () => {
    const policy = resolveToolPolicy({}, 'main');
    expect(policy.tools.map((t) => t.name)).toEqual([...KNOWN_TOOLS]);
    expect(policy.profileSource).toBe('tools.profile (default)');
    expect(decision({}, 'read').reason).toBe("allowed by profile 'coding' (tools.profile (default))");
    expect(decision({}, 'message').reason).toBe(
      "not in profile 'coding' (tools.profile (default)) and not in any allow list",
    );
  });
});

describe('allow and deny across levels', () => {
  const config: ToolPolicySource = {
    tools: { profile: 'coding', allow: ['message'], deny: ['exec'] },
    agents: {
      defaults: { tools: { deny: ['memory_*'] } },
      list: [
        { id: 'main' },
        {
          id: 'helper',
          tools: { profile: 'minimal', allow: ['group:web', 'exec', 'memory_search'], deny: ['group:web'] },
        },
        { id: 'bot', tools: { profile: 'messaging', allow: ['read'] } },
      ],
    },
  };

  it('deny wins at any level, even over a more specific allow', () => {
    expect(decision(config, 'exec', 'helper')).toEqual({
      name: 'exec',
      allowed: false,
      reason: "denied by tools.deny 'exec'",
      rule: { kind: 'deny', path: 'tools.deny[0]', level: 'global', entry: 'exec' },
    });
    expect(decision(config, 'web_fetch', 'helper')).toEqual({
      name: 'web_fetch',
      allowed: false,
      reason: "denied by agents.list[1].tools.deny 'group:web'",
      rule: { kind: 'deny', path: 'agents.list[1].tools.deny[0]', level: 'agent', entry: 'group:web' },
    });
    expect(decision(config, 'memory_search', 'helper').reason).toBe(
      "denied by agents.defaults.tools.deny 'memory_*'",
    );
  });

  it('the most specific profile applies and allow lists add', () => {
    expect(allowed(config, 'helper')).toEqual(['message', 'session_status']);
    expect(decision(config, 'message', 'helper').reason).toBe("allowed by tools.allow 'message'");
    expect(decision(config, 'read', 'bot').reason).toBe("allowed by agents.list[2].tools.allow 'read'");
    expect(decision(config, 'session_status', 'bot').reason).toBe(
      "allowed by profile 'messaging' (agents.list[2].tools.profile)",
    );
    expect(allowed(config, 'main')).not.toContain('exec');
    expect(allowed(config, 'unknown-agent')).toContain('message');
  });

  it('names entries that match no tool or group, and reports extra tools', () => {
    const policy = resolveToolPolicy(
      { tools: { allow: ['group:nope', 'frobnicate', 'plugin_tool'], deny: ['Sessions_*'] } },
      'main',
      { extraTools: ['plugin_tool'] },
    );
    expect(policy.unknownEntries).toEqual([
      "tools.allow[0] 'group:nope': no such group",
      "tools.allow[1] 'frobnicate': no such tool",
    ]);
    expect(policy.tools.at(-1)).toEqual({
      name: 'plugin_tool',
      allowed: true,
      reason: "allowed by tools.allow 'plugin_tool'",
      rule: { kind: 'allow', path: 'tools.allow[2]', level: 'global', entry: 'plugin_tool' },
    });
    expect(policy.tools.find((t) => t.name === 'sessions_send')?.allowed).toBe(false);
  });
});

describe('explainToolPolicy', () => {
  const config: ToolPolicySource = {
    tools: { deny: ['process'], allow: ['cron'] },
    agents: {
      defaults: { tools: { profile: 'messaging', allow: ['sessions_*'] } },
      list: [{ id: 'ops', tools: { profile: 'coding', allow: ['group:messaging'], deny: ['web_*'] } }],
    },
  };

  it('decides exactly the names asked about, in their order, with the setting that decided each', () => {
    const names = [
      'exec',
      'process',
      'read',
      'web_fetch',
      'message',
      'sessions_send',
      'cron',
      'memory_get',
      'x_tool',
    ];
    const e = explainToolPolicy(config, 'ops', names);
    expect(e).toMatchObject({
      agentId: 'ops',
      profile: 'coding',
      profileSource: 'agents.list[0].tools.profile',
    });
    expect(e.tools.map((t) => t.name)).toEqual(names);
    const rules = Object.fromEntries(
      e.tools.map((t) => [t.name, [t.allowed, t.rule.kind, t.rule.level, t.rule.path, t.rule.entry]]),
    );
    expect(rules).toEqual({
      exec: [true, 'profile', 'agent', 'agents.list[0].tools.profile', 'group:runtime'],
      process: [false, 'deny', 'global', 'tools.deny[0]', 'process'],
      read: [true, 'profile', 'agent', 'agents.list[0].tools.profile', 'group:fs'],
      web_fetch: [false, 'deny', 'agent', 'agents.list[0].tools.deny[0]', 'web_*'],
      message: [true, 'allow', 'agent', 'agents.list[0].tools.allow[0]', 'group:messaging'],
      sessions_send: [true, 'allow', 'agent-defaults', 'agents.defaults.tools.allow[0]', 'sessions_*'],
      cron: [true, 'allow', 'global', 'tools.allow[0]', 'cron'],
      memory_get: [true, 'profile', 'agent', 'agents.list[0].tools.profile', 'group:memory'],
      x_tool: [false, 'none', 'agent', 'agents.list[0].tools.profile', undefined],
    });
    expect(e.unknownEntries).toEqual([]);
  });

  it('the default profile is marked as such, and every rule reads as one short line', () => {
    const e = explainToolPolicy({ tools: { deny: ['group:web'] } }, 'main', [
      'read',
      'web_search',
      'message',
      'anything',
    ]);
    expect(e.tools.map((t) => describeToolRule(t.rule))).toEqual([
      "profile 'coding' (tools.profile (default)) via group:fs",
      "tools.deny[0] 'group:web'",
      "not in profile 'coding' (tools.profile (default)) nor in an allow list",
      "not in profile 'coding' (tools.profile (default)) nor in an allow list",
    ]);
    expect(e.tools[0]?.rule).toMatchObject({ kind: 'profile', profile: 'coding', defaultProfile: true });
    const full = explainToolPolicy({ tools: { profile: 'full' } }, 'main', ['cron']);
    expect(describeToolRule(full.tools[0]!.rule)).toBe("profile 'full' (tools.profile)");
  });
});

describe('filterTools', () => {
  it('keeps only allowed tools, in order, including tools the policy never listed', () => {
    const tools = [{ name: 'read' }, { name: 'exec' }, { name: 'message' }, { name: 'memory_write' }];
    const policy = resolveToolPolicy({ tools: { deny: ['exec'], allow: ['group:memory'] } }, 'main');
    expect(filterTools(tools, policy).map((t) => t.name)).toEqual(['read', 'memory_write']);
  });
});
