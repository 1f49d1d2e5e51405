import { afterEach, describe, expect, it } from 'vitest';
import {
  type AgentsWorld,
  agentOf,
  calls,
  finalText,
  lastUser,
  say,
  startAgents,
  toolResults,
} from './harness.js';

let world: AgentsWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const isA = (req: Parameters<typeof agentOf>[0]) => agentOf(req) === 'a';
const isB = (req: Parameters<typeof agentOf>[0]) => agentOf(req) === 'b';

describe('sessions_send', () => {
  it('round trip: agent a asks agent b, b answers in its own session, the reply comes back to a', async () => {
    world = await startAgents({ agentToAgent: { enabled: true, allow: [{ from: 'a', to: 'b' }] } });
    const a = world.on(
      isA,
      calls({ name: 'sessions_send', args: { agentId: 'b', message: 'What is the capital of France?' } }),
      say('B says Paris.'),
    );
    const b = world.on(isB, say('Paris'));

    const final = await world.ask({ message: 'Ask agent b for the capital of France' });
    expect(final.status).toBe('ok');
    expect(finalText(final)).toBe('B says Paris.');
    // b ran a turn with the message, marked as coming from a's session.
    expect(b.seen).toHaveLength(1);
    expect(lastUser(b.seen[0]!)).toContain('What is the capital of France?');
    expect(lastUser(b.seen[0]!)).toContain("from session agent:a:main (agent 'a')");
    // a got b's reply as the tool result, wrapped as content from another session.
    const result = toolResults(a.seen[1]!).at(-1) ?? '';
    expect(result).toMatch(/"status": ?"ok"/);
    expect(result).toContain('Paris');
    expect(result).toContain('agent:b:main');
    // The exchange is in b's transcript.
    const history = await world.c.request('chat.history', { sessionKey: 'agent:b:main' });
    const messages = (history.payload as { messages: { role: string; content: string }[] }).messages;
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(messages[1]!.content).toBe('Paris');
  });

  it('is refused while agent-to-agent is off, naming agentToAgent.enabled; b never runs', async () => {
    world = await startAgents();
    const a = world.on(
      isA,
      calls({ name: 'sessions_send', args: { agentId: 'b', message: 'hi' } }),
      say('no luck'),
    );
    const b = world.on(isB, say('should not happen'));
    await world.ask({ message: 'talk to b' });
    const result = toolResults(a.seen[1]!).at(-1) ?? '';
    expect(result).toMatch(/agent 'a' may not reach agent 'b'/);
    expect(result).toContain('agentToAgent.enabled');
    expect(b.seen).toHaveLength(0);
  });

  it('is refused when no allow pair grants the direction, naming agentToAgent.allow', async () => {
    world = await startAgents({ agentToAgent: { enabled: true, allow: [{ from: 'b', to: 'a' }] } });
    const a = world.on(
      isA,
      calls({ name: 'sessions_send', args: { agentId: 'b', message: 'hi' } }),
      say('no luck'),
    );
    const b = world.on(isB, say('should not happen'));
    await world.ask({ message: 'talk to b' });
    const result = toolResults(a.seen[1]!).at(-1) ?? '';
    expect(result).toContain('no pair in agentToAgent.allow');
    expect(result).toContain("{ from: 'a', to: 'b' }");
    expect(b.seen).toHaveLength(0);
  });

  it('ping-pong is bounded by agentToAgent.maxExchanges per originating run', async () => {
    world = await startAgents({
      agentToAgent: { enabled: true, allow: [{ from: '*', to: '*' }], maxExchanges: 2 },
    });
    const send = (agentId: string, message: string) =>
      calls({ name: 'sessions_send', args: { agentId, message, timeoutSeconds: 0 } });
    // a pings b, b pongs a, a tries to ping again: the third exchange of the same origin is refused.
    const a1 = world.on((r) => isA(r) && lastUser(r).includes('start'), send('b', 'ping 1'), say('sent'));
    const b1 = world.on((r) => isB(r) && lastUser(r).includes('ping 1'), send('a', 'pong 1'), say('sent'));
    const a2 = world.on(
      (r) => isA(r) && lastUser(r).includes('pong 1'),
      send('b', 'ping 2'),
      say('stopping'),
    );
    const b2 = world.on((r) => isB(r) && lastUser(r).includes('ping 2'), say('should not happen'));

    await world.ask({ message: 'start the game' });
    await world.chatEnd('agent:a:main', 'a2a:');
    expect(a1.seen).toHaveLength(2);
    expect(b1.seen).toHaveLength(2);
    expect(toolResults(b1.seen[1]!).at(-1)).toMatch(/"status": ?"accepted"/);
    expect(a2.seen).toHaveLength(2);
    const refused = toolResults(a2.seen[1]!).at(-1) ?? '';
    expect(refused).toContain('agentToAgent.maxExchanges is 2');
    expect(b2.seen).toHaveLength(0);
  });

  it('a wait that could never end (b waiting on a while a waits on b) is refused', async () => {
    world = await startAgents({ agentToAgent: { enabled: true, allow: [{ from: '*', to: '*' }] } });
    const a = world.on(
      isA,
      calls({ name: 'sessions_send', args: { agentId: 'b', message: 'Need your input' } }),
      say('done'),
    );
    const b = world.on(
      isB,
      calls({
        name: 'sessions_send',
        args: { agentId: 'a', message: 'What do you mean?', timeoutSeconds: 30 },
      }),
      say('Here is my input anyway'),
    );
    const final = await world.ask({ message: 'coordinate with b' });
    expect(final.status).toBe('ok');
    expect(toolResults(b.seen[1]!).at(-1)).toMatch(/agent:a:main is waiting for this session's answer/);
    expect(toolResults(a.seen[1]!).at(-1)).toContain('Here is my input anyway');
  });
});
