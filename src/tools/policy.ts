import type { AgentTool } from '../agent/index.js';
import type { ToolProfile } from '../config/index.js';

/**
 * Tool groups usable in profiles and allow/deny lists. Entries may end in `*` (`sessions_*`), so tools added
 * by later issues join their group without a change here.
 */
export const TOOL_GROUPS: Readonly<Record<string, readonly string[]>> = {
  'group:fs': ['read', 'write', 'edit', 'apply_patch', 'ls', 'find', 'grep'],
  'group:runtime': ['exec', 'process'],
  'group:web': ['web_fetch', 'web_search'],
  'group:messaging': ['message'],
  'group:sessions': ['session_status', 'sessions_*'],
  'group:memory': ['memory_*'],
  'group:automation': ['cron'],
};

/** What each profile starts from, before allow/deny. */
export const TOOL_PROFILES: Readonly<Record<ToolProfile, readonly string[]>> = {
  minimal: ['session_status'],
  coding: ['group:fs', 'group:runtime', 'group:web', 'group:memory', 'session_status'],
  messaging: ['group:messaging', 'group:memory', 'session_status', 'web_search'],
  full: ['*'],
};

/** Every tool name the policy reports on (built-ins and those later issues add). */
export const KNOWN_TOOLS: readonly string[] = [
  'read',
  'write',
  'edit',
  'apply_patch',
  'ls',
  'find',
  'grep',
  'exec',
  'process',
  'web_fetch',
  'web_search',
  'message',
  'session_status',
  'sessions_list',
  'sessions_history',
  'sessions_send',
  'sessions_spawn',
  'memory_search',
  'memory_get',
  'cron',
];

/** One level of tool rules (`tools`, `agents.defaults.tools`, `agents.list[i].tools`). */
export interface ToolRules {
  profile?: ToolProfile | undefined;
  allow?: readonly string[] | undefined;
  deny?: readonly string[] | undefined;
}

/** The parts of the config the policy reads (a loaded Config fits). */
export interface ToolPolicySource {
  tools?: ToolRules | undefined;
  agents?:
    | {
        defaults?: { tools?: ToolRules | undefined } | undefined;
        list?: readonly { id: string; tools?: ToolRules | undefined }[] | undefined;
      }
    | undefined;
}

export interface ToolPolicyLayer {
  /** Config path of the rules, e.g. "agents.list[1].tools". */
  path: string;
  allow: readonly string[];
  deny: readonly string[];
}

/** Which level of the config a rule sits at: `tools`, `agents.defaults.tools` or `agents.list[i].tools`. */
export type ToolRuleLevel = 'global' | 'agent-defaults' | 'agent';

/** The setting that decided one tool. */
export interface ToolRule {
  /** `deny` (a deny entry), `profile` (in the profile), `allow` (an allow entry), `none` (none of them). */
  kind: 'deny' | 'profile' | 'allow' | 'none';
  /** Config path of the setting: "agents.list[1].tools.deny[0]", "tools.profile" … */
  path: string;
  level: ToolRuleLevel;
  /** The entry that matched, as written: a tool name, `group:x` or a `*` pattern (not for `none`). */
  entry?: string;
  /** The profile in force (for `profile` and `none`). */
  profile?: ToolProfile;
  /** True when the profile is the built-in default (nothing sets one). */
  defaultProfile?: boolean;
}

/** The decision for one tool and the rule that made it. */
export interface ToolDecision {
  name: string;
  allowed: boolean;
  /** One line: "denied by tools.deny 'exec'", "allowed by profile 'coding' (tools.profile (default))" … */
  reason: string;
  rule: ToolRule;
}

export interface ToolPolicy {
  agentId: string;
  profile: ToolProfile;
  /** Where the profile came from, e.g. "agents.list[0].tools.profile" or "tools.profile (default)". */
  profileSource: string;
  layers: readonly ToolPolicyLayer[];
  /** One decision per known tool (KNOWN_TOOLS plus `extraTools`), in that order. */
  tools: ToolDecision[];
  /** Allow/deny entries that name no known tool or group, e.g. "tools.allow[2] 'foo': …". */
  unknownEntries: string[];
}

function levelOf(path: string): ToolRuleLevel {
  if (path.startsWith('agents.list[')) return 'agent';
  if (path.startsWith('agents.defaults.')) return 'agent-defaults';
  return 'global';
}

function matchesPattern(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  if (!p.includes('*')) return p === name;
  const re = new RegExp(
    `^${p
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(name);
}

/** True when an allow/deny/profile entry (tool name, `group:x`, or `*` pattern) covers `name`. */
export function entryMatches(entry: string, name: string): boolean {
  const n = name.toLowerCase();
  if (entry.toLowerCase().startsWith('group:')) {
    return (TOOL_GROUPS[entry.toLowerCase()] ?? []).some((p) => matchesPattern(p, n));
  }
  return matchesPattern(entry, n);
}

/** Decide one tool name under a resolved policy (also for tools not in `policy.tools`, e.g. plugins). */
export function decideTool(
  policy: Pick<ToolPolicy, 'profile' | 'profileSource' | 'layers'>,
  name: string,
): ToolDecision {
  for (const layer of policy.layers) {
    const i = layer.deny.findIndex((e) => entryMatches(e, name));
    if (i >= 0) {
      const entry = layer.deny[i]!;
      const rule: ToolRule = {
        kind: 'deny',
        path: `${layer.path}.deny[${i}]`,
        level: levelOf(layer.path),
        entry,
      };
      return { name, allowed: false, reason: `denied by ${layer.path}.deny '${entry}'`, rule };
    }
  }
  const defaultProfile = policy.profileSource.endsWith('(default)');
  const profilePath = policy.profileSource.replace(/ \(default\)$/, '');
  const profileRule = {
    path: profilePath,
    level: levelOf(profilePath),
    profile: policy.profile,
    defaultProfile,
  };
  const inProfile = TOOL_PROFILES[policy.profile].find((e) => entryMatches(e, name));
  if (inProfile !== undefined) {
    return {
      name,
      allowed: true,
      reason: `allowed by profile '${policy.profile}' (${policy.profileSource})`,
      rule: { kind: 'profile', ...profileRule, entry: inProfile },
    };
  }
  for (const layer of [...policy.layers].reverse()) {
    const i = layer.allow.findIndex((e) => entryMatches(e, name));
    if (i >= 0) {
      const entry = layer.allow[i]!;
      const rule: ToolRule = {
        kind: 'allow',
        path: `${layer.path}.allow[${i}]`,
        level: levelOf(layer.path),
        entry,
      };
      return { name, allowed: true, reason: `allowed by ${layer.path}.allow '${entry}'`, rule };
    }
  }
  return {
    name,
    allowed: false,
    reason: `not in profile '${policy.profile}' (${policy.profileSource}) and not in any allow list`,
    rule: { kind: 'none', ...profileRule },
  };
}

/** A short text of the rule that decided: "tools.deny[0] 'group:runtime'", "profile 'coding' via group:fs". */
export function describeToolRule(rule: ToolRule): string {
  const where = rule.defaultProfile ? `${rule.path} (default)` : rule.path;
  switch (rule.kind) {
    case 'deny':
    case 'allow':
      return `${rule.path} '${rule.entry}'`;
    case 'profile':
      return `profile '${rule.profile}' (${where})${rule.entry === '*' ? '' : ` via ${rule.entry}`}`;
    default:
      return `not in profile '${rule.profile}' (${where}) nor in an allow list`;
  }
}

/** What `explainToolPolicy` reports: the resolved policy and one decision per tool asked about. */
export interface ToolPolicyExplanation {
  agentId: string;
  profile: ToolProfile;
  profileSource: string;
  layers: readonly ToolPolicyLayer[];
  /** One decision per name, in the order given. */
  tools: ToolDecision[];
  /** Allow/deny entries that name none of these tools, no known tool and no group. */
  unknownEntries: string[];
}

/**
 * Explain the tool policy of one agent for the given tool names (for example every tool a gateway turn
 * can offer): allowed or not, and the setting that decided each (deny entry, profile entry, allow entry).
 */
export function explainToolPolicy(
  config: ToolPolicySource,
  agentId: string,
  toolNames: readonly string[],
): ToolPolicyExplanation {
  const policy = resolveToolPolicy(config, agentId, { extraTools: toolNames });
  return {
    agentId: policy.agentId,
    profile: policy.profile,
    profileSource: policy.profileSource,
    layers: policy.layers,
    tools: toolNames.map((name) => decideTool(policy, name)),
    unknownEntries: policy.unknownEntries,
  };
}

function unknownEntries(layers: readonly ToolPolicyLayer[], known: readonly string[]): string[] {
  const out: string[] = [];
  for (const layer of layers) {
    for (const kind of ['allow', 'deny'] as const) {
      layer[kind].forEach((entry, i) => {
        const isGroup = entry.toLowerCase().startsWith('group:');
        const bad = isGroup
          ? TOOL_GROUPS[entry.toLowerCase()] === undefined
          : !entry.includes('*') && !known.includes(entry.toLowerCase());
        if (bad) out.push(`${layer.path}.${kind}[${i}] '${entry}': no such ${isGroup ? 'group' : 'tool'}`);
      });
    }
  }
  return out;
}

/**
 * Resolve the tool policy of one agent: the profile is the most specific one set (agents.list[i].tools,
 * then agents.defaults.tools, then tools; default 'coding'); allow lists add tools at any level; a deny
 * at any level wins over everything. Returns a decision with its reason for every known tool.
 */
export function resolveToolPolicy(
  config: ToolPolicySource,
  agentId: string,
  options: { extraTools?: readonly string[] } = {},
): ToolPolicy {
  const levels: [string, ToolRules | undefined][] = [
    ['tools', config.tools],
    ['agents.defaults.tools', config.agents?.defaults?.tools],
  ];
  const index = config.agents?.list?.findIndex((a) => a.id === agentId) ?? -1;
  if (index >= 0) levels.push([`agents.list[${index}].tools`, config.agents?.list?.[index]?.tools]);
  let profile: ToolProfile = 'coding';
  let profileSource = 'tools.profile (default)';
  const layers: ToolPolicyLayer[] = [];
  for (const [path, rules] of levels) {
    if (rules?.profile !== undefined) {
      profile = rules.profile;
      profileSource = `${path}.profile`;
    }
    layers.push({ path, allow: rules?.allow ?? [], deny: rules?.deny ?? [] });
  }
  const names = [...KNOWN_TOOLS];
  for (const extra of options.extraTools ?? []) if (!names.includes(extra)) names.push(extra);
  const base = { agentId, profile, profileSource, layers };
  return {
    ...base,
    tools: names.map((name) => decideTool(base, name)),
    unknownEntries: unknownEntries(layers, names),
  };
}

/** The tools a policy allows, in their order. */
export function filterTools<T extends Pick<AgentTool, 'name'>>(tools: readonly T[], policy: ToolPolicy): T[] {
  return tools.filter((t) => decideTool(policy, t.name).allowed);
}
