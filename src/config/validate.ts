import Value from 'typebox/value';
import { checkAgainstSchema } from './check.js';
import { type ConfigIssue, closest, formatPath, quoteList } from './issues.js';
import { isPlainObject } from './merge.js';
import { type Config, ConfigSchema } from './schema.js';

/** The agent id used when `agents.list` is empty. */
export const DEFAULT_AGENT_ID = 'main';

export type ValidateResult = { ok: true; config: Config } | { ok: false; issues: ConfigIssue[] };

/**
 * Validate a whole config document against ConfigSchema plus the cross-references (unique agent ids,
 * at most one default agent, every binding names a known agent). Reports every issue at once; on
 * success returns the config with schema defaults applied. Does not modify `value`.
 */
export function validateConfig(value: unknown): ValidateResult {
  const checked = checkAgainstSchema(ConfigSchema, value);
  const issues = [...checked.issues, ...checkReferences(checked.value)];
  if (issues.length === 0 && !Value.Check(ConfigSchema, checked.value))
    issues.push(...schemaErrors(checked.value));
  return issues.length ? { ok: false, issues } : { ok: true, config: checked.value as Config };
}

function agentEntries(config: unknown): { id: string; isDefault: boolean; index: number }[] {
  const agents = isPlainObject(config) ? config.agents : undefined;
  const list = isPlainObject(agents) && Array.isArray(agents.list) ? agents.list : [];
  return list.flatMap((entry, index) =>
    isPlainObject(entry) && typeof entry.id === 'string'
      ? [{ id: entry.id, isDefault: entry.default === true, index }]
      : [],
  );
}

/** Cross-field rules the schema cannot express. Tolerates mistyped parts (those are reported elsewhere). */
export function checkReferences(config: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const agents = agentEntries(config);
  const firstAt = new Map<string, number>();
  let firstDefault: number | undefined;
  for (const a of agents) {
    const seen = firstAt.get(a.id);
    if (seen === undefined) firstAt.set(a.id, a.index);
    else {
      issues.push({
        path: formatPath(['agents', 'list', a.index, 'id']),
        message: `duplicate agent id '${a.id}' (also at ${formatPath(['agents', 'list', seen, 'id'])})`,
        hint: 'agent ids must be unique; rename or remove one of them',
      });
    }
    if (!a.isDefault) continue;
    if (firstDefault === undefined) firstDefault = a.index;
    else {
      issues.push({
        path: formatPath(['agents', 'list', a.index, 'default']),
        message: `more than one agent has default: true (first at agents.list[${firstDefault}])`,
        hint: 'keep default: true on one agent only',
      });
    }
  }
  const known = agents.length ? [...firstAt.keys()] : [DEFAULT_AGENT_ID];
  const bindings = isPlainObject(config) && Array.isArray(config.bindings) ? config.bindings : [];
  bindings.forEach((b, i) => {
    if (!isPlainObject(b) || typeof b.agentId !== 'string' || known.includes(b.agentId)) return;
    const guess = closest(b.agentId, known);
    const lead = guess ? `did you mean '${guess}'? ` : '';
    const where = agents.length
      ? `known agents (agents.list): ${quoteList(known)}`
      : `agents.list is empty, so the only agent is '${DEFAULT_AGENT_ID}'; use it or add the agent to agents.list`;
    issues.push({
      path: formatPath(['bindings', i, 'agentId']),
      message: `unknown agent '${b.agentId}'`,
      hint: `${lead}${where}`,
    });
  });
  return issues;
}

/** Fallback for anything the walker above does not model: TypeBox's own errors, as issues. */
function schemaErrors(value: unknown): ConfigIssue[] {
  return [...Value.Errors(ConfigSchema, value)].map((e) => {
    const segments = e.instancePath
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    return { path: formatPath(segments), message: e.message, hint: 'see schema/carapace.schema.json' };
  });
}
