import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../fakes/fake-model-server.js';
import {
  type AgentsWorld,
  agentOf,
  calls,
  isSubagent,
  lastUser,
  say,
  startAgents,
  systemOf,
  toolResults,
} from './harness.js';

let world: AgentsWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const SUBAGENT_KEY = /agent:a:subagent:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const parentOf = (agent: string) => (r: RecordedRequest) => agentOf(r) === agent && !isSubagent(r);
const announce = (r: RecordedRequest) => lastUser(r).startsWith('[Sub-agent ');
const spawn = (task: string, extra: Record<string, unknown> = {}) => ({
  name: 'sessions_spawn',
  args: { task, ...extra },
});

describe('sessions_spawn', () => {
  it('returns the child key at once; the sub-agent works in its own session and its result is announced back', async () => {
    world = await startAgents();
    const announced = world.on(
      (r) => parentOf('a')(r) && announce(r),
      say('The sub-agent says the moon is rocky.'),
    );
    const parent = world.on(
      parentOf('a'),
      calls(spawn('Describe the moon in one line.', { label: 'moon' })),
      say('Started.'),
    );
    const child = world.on(isSubagent, say('The moon is a rocky satellite.'));

    const final = await world.ask({ message: 'Have a sub-agent describe the moon' });
    expect(final.status).toBe('ok');
    const accepted = toolResults(parent.seen[1]!).at(-1) ?? '';
    expect(accepted).toMatch(/"status": ?"accepted"/);
    const childKey = SUBAGENT_KEY.exec(accepted)?.[0];
    expect(childKey).toBeDefined();

    const end = await world.chatEnd('agent:a:main', 'announce:');
    expect((end.payload as { state: string }).state).toBe('final');
    // The child saw the task and knew it was a sub-agent of a's main session.
    expect(lastUser(child.seen[0]!)).toBe('Describe the moon in one line.');
    expect(systemOf(child.seen[0]!)).toContain('agent:a:main');
    // The announce turn carried the child's key and result into the parent session.
    const note = lastUser(announced.seen[0]!);
    expect(note).toContain(childKey);
    expect(note).toContain('("moon") finished');
    expect(note).toContain('The moon is a rocky satellite.');
    const history = await world.c.request('chat.history', { sessionKey: 'agent:a:main' });
    const texts = (history.payload as { messages: { content: string }[] }).messages.map((m) => m.content);
    expect(texts.at(-1)).toBe('The sub-agent says the moon is rocky.');
    const child1 = await world.c.request('chat.history', { sessionKey: childKey });
    expect((child1.payload as { messages: { content: string }[] }).messages.at(-1)?.content).toBe(
      'The moon is a rocky satellite.',
    );
  });

  it("a sub-agent's attempt to spawn is refused (maxSpawnDepth), and it still reports back", async () => {
    world = await startAgents();
    world.on((r) => parentOf('a')(r) && announce(r), say('noted'));
    world.on(parentOf('a'), calls(spawn('Research and delegate.')), say('Started.'));
    const child = world.on(
      isSubagent,
      calls(spawn('Nested task')),
      say('Could not delegate; did it myself.'),
    );

    await world.ask({ message: 'delegate' });
    await world.chatEnd('agent:a:main', 'announce:');
    const refused = toolResults(child.seen[1]!).at(-1) ?? '';
    expect(refused).toMatch(/sub-agent at depth 1 and may not spawn/);
    expect(refused).toContain('agentToAgent.subagents.maxSpawnDepth is 1');
    expect(child.seen).toHaveLength(2);
  });

  it('with maxSpawnDepth 2 a sub-agent may spawn once more', async () => {
    world = await startAgents({ agentToAgent: { subagents: { maxSpawnDepth: 2 } } });
    world.on((r) => parentOf('a')(r) && announce(r), say('noted'));
    world.on(parentOf('a'), calls(spawn('Delegate further.')), say('Started.'));
    const grandchild = world.on((r) => isSubagent(r) && lastUser(r) === 'Nested task', say('nested result'));
    const child = world.on(isSubagent, calls(spawn('Nested task')), say('delegated'));

    await world.ask({ message: 'delegate twice' });
    await world.chatEnd('agent:a:main', 'announce:');
    expect(toolResults(child.seen[1]!).at(-1)).toMatch(/"status": ?"accepted"/);
    await expect.poll(() => grandchild.seen.length, { timeout: 10_000 }).toBe(1);
  });

  it('children per session and concurrent sub-agents are limited; a slot frees when a child ends', async () => {
    world = await startAgents({
      agentToAgent: { subagents: { maxChildrenPerSession: 2, maxConcurrent: 3, timeoutSeconds: 2 } },
    });
    world.on((r) => isSubagent(r) && lastUser(r) === 'six', say('six done'));
    world.on(isSubagent, ...Array.from({ length: 3 }, () => ({ type: 'stall' as const })));
    world.on(announce, ...Array.from({ length: 5 }, () => say('noted')));
    const again = world.on(
      (r) => parentOf('a')(r) && lastUser(r) === 'spawn again',
      calls(spawn('six')),
      say('six started'),
    );
    const a = world.on(parentOf('a'), calls(spawn('one'), spawn('two'), spawn('three')), say('two started'));
    const b = world.on(parentOf('b'), calls(spawn('four'), spawn('five')), say('one started'));

    await world.ask({ message: 'spawn three' });
    const [one, two, three] = toolResults(a.seen[1]!);
    expect(one).toMatch(/"status": ?"accepted"/);
    expect(two).toMatch(/"status": ?"accepted"/);
    expect(three).toContain('agentToAgent.subagents.maxChildrenPerSession is 2');

    await world.ask({ message: 'spawn two', agentId: 'b' });
    const [four, five] = toolResults(b.seen[1]!);
    expect(four).toMatch(/"status": ?"accepted"/);
    expect(five).toContain('agentToAgent.subagents.maxConcurrent is 3');

    // The stalled children time out (timeoutSeconds 2) and are announced; then a may spawn again.
    await world.chatEnd('agent:b:main', 'announce:');
    await world.chatEnd('agent:a:main', 'announce:');
    const status = await world.c.request('chat.history', { sessionKey: 'agent:b:main' });
    const note = (status.payload as { messages: { content: string }[] }).messages.find((m) =>
      m.content.startsWith('[Sub-agent '),
    );
    expect(note?.content).toContain('timed out');
    await world.ask({ message: 'spawn again' });
    expect(toolResults(again.seen[1]!).at(-1)).toMatch(/"status": ?"accepted"/);
  });
});
