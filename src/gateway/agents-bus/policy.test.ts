import Value from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { type AgentToAgentConfig, AgentToAgentSchema } from '../../config/index.js';
import { agentRefusal, pairAllows, reachableAgents, reachRefusal } from './policy.js';

const config = (patch: Partial<AgentToAgentConfig> = {}): AgentToAgentConfig => ({
  ...(Value.Default(AgentToAgentSchema, {}) as AgentToAgentConfig),
  ...patch,
});

describe('agentToAgent policy', () => {
  it('is off by default: only the own agent is reachable, and the refusal names the keys', () => {
    const c = config();
    expect(c.enabled).toBe(false);
    expect(c.subagents.maxSpawnDepth).toBe(1);
    expect(reachableAgents(c, 'a', ['a', 'b'])).toEqual(['a']);
    expect(agentRefusal(c, 'a', 'b')).toMatch(/agentToAgent\.enabled.*agentToAgent\.allow/);
    expect(agentRefusal(c, 'a', 'a')).toBeUndefined();
  });

  it('pairs are one direction; * matches any agent', () => {
    const c = config({ enabled: true, allow: [{ from: 'a', to: 'b' }] });
    expect(agentRefusal(c, 'a', 'b')).toBeUndefined();
    expect(agentRefusal(c, 'b', 'a')).toMatch(/no pair in agentToAgent\.allow.*from: 'b', to: 'a'/);
    expect(pairAllows([{ from: '*', to: 'c' }], 'x', 'c')).toBe(true);
    expect(pairAllows([{ from: 'a', to: '*' }], 'a', 'z')).toBe(true);
    expect(pairAllows([{ from: 'a', to: '*' }], 'b', 'z')).toBe(false);
    expect(reachableAgents(c, 'a', ['a', 'b', 'c'])).toEqual(['a', 'b']);
  });

  it("visibility 'self' hides other sessions of the own agent unless related (parent or child)", () => {
    const self = config({ visibility: 'self' });
    const from = { agentId: 'a', sessionKey: 'agent:a:main' };
    const other = { agentId: 'a', sessionKey: 'agent:a:dm:bob' };
    expect(reachRefusal(self, from, from, false)).toBeUndefined();
    expect(reachRefusal(self, from, other, false)).toMatch(/agentToAgent\.visibility is 'self'/);
    expect(reachRefusal(self, from, other, true)).toBeUndefined();
    expect(reachRefusal(config(), from, other, false)).toBeUndefined();
  });
});
