import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../fakes/fake-model-server.js';
import { type AgentsWorld, agentOf, calls, lastUser, say, startAgents, toolResults } from './harness.js';

let world: AgentsWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const asking = (agent: string, text: string) => (r: RecordedRequest) =>
  agentOf(r) === agent && lastUser(r) === text;
const keysIn = (result: string) => [...result.matchAll(/"sessionKey": ?"([^"]+)"/g)].map((m) => m[1]);

describe('sessions_list and sessions_history visibility', () => {
  it('a session sees its own agent and the agents the allowlist grants, nothing else', async () => {
    world = await startAgents({ agentToAgent: { enabled: true, allow: [{ from: 'a', to: 'b' }] } }, [
      'a',
      'b',
      'c',
    ]);
    // One conversation per agent so each has a session.
    world.on((r) => lastUser(r) === 'hello', say('hi from a'), say('hi from b'), say('hi from c'));
    await world.ask({ message: 'hello', agentId: 'a' });
    await world.ask({ message: 'hello', agentId: 'b' });
    await world.ask({ message: 'hello', agentId: 'c' });

    const a = world.on(
      asking('a', 'look around'),
      calls(
        { name: 'sessions_list', args: {} },
        { name: 'sessions_history', args: { sessionKey: 'agent:b:main' } },
        { name: 'sessions_history', args: { sessionKey: 'agent:c:main' } },
        { name: 'sessions_list', args: { agentId: 'c' } },
      ),
      say('looked'),
    );
    const b = world.on(asking('b', 'look around'), calls({ name: 'sessions_list', args: {} }), say('looked'));
    await world.ask({ message: 'look around', agentId: 'a' });
    await world.ask({ message: 'look around', agentId: 'b' });

    const [listA, historyB, historyC, listC] = toolResults(a.seen[1]!);
    expect(keysIn(listA ?? '').sort()).toEqual(['agent:a:main', 'agent:b:main']);
    expect(listA).toContain("1 other agent(s) are not reachable from agent 'a'");
    expect(historyB).toContain('hi from b');
    expect(historyB).toContain('EXTERNAL_UNTRUSTED_CONTENT');
    expect(historyC).toContain("agent 'a' may not reach agent 'c'");
    expect(historyC).toContain('agentToAgent.allow');
    expect(historyC).not.toContain('hi from c');
    expect(listC).toContain('agentToAgent.allow');
    // The pair is one direction: b sees only its own agent.
    const [listB] = toolResults(b.seen[1]!);
    expect(keysIn(listB ?? '')).toEqual(['agent:b:main']);
  });

  it("visibility 'self' hides the own agent's other sessions", async () => {
    world = await startAgents({ agentToAgent: { visibility: 'self' } });
    world.on((r) => lastUser(r) === 'hello', say('hi there'));
    await world.ask({ message: 'hello', sessionKey: 'agent:a:dm:bob' });
    const a = world.on(
      asking('a', 'look around'),
      calls(
        { name: 'sessions_list', args: {} },
        { name: 'sessions_history', args: { sessionKey: 'agent:a:dm:bob' } },
      ),
      say('looked'),
    );
    await world.ask({ message: 'look around' });
    const [list, history] = toolResults(a.seen[1]!);
    expect(keysIn(list ?? '')).toEqual(['agent:a:main']);
    expect(history).toContain("agentToAgent.visibility is 'self'");
    expect(history).not.toContain('hi there');
  });
});
