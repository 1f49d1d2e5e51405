import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fakeModelConfig } from '../fakes/fake-model-config.js';
import { type FakeModelServer, startFakeModelServer } from '../fakes/fake-model-server.js';
import { type Harness, startGateway } from '../helpers/gateway-harness.js';
import { connectedClient } from '../helpers/ws-client.js';

let fake: FakeModelServer;
beforeAll(async () => {
  fake = await startFakeModelServer();
});
afterAll(() => fake.close());
const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.cleanup();
});

async function setup(extra: Record<string, unknown> = {}) {
  const h = await startGateway({
    ...fakeModelConfig(fake),
    ...extra,
  });
  harnesses.push(h);
  return { h, c: await connectedClient(h.url, h.token), ws: join(h.stateDir, 'workspace') };
}

type Body = { messages: { role: string; content: unknown }[]; tools?: { function: { name: string } }[] };
const body = (i: number) => fake.requests.at(i)?.body as Body;
const systemPrompt = (b: Body) => String(b.messages.find((m) => m.role === 'system')?.content ?? '');
const toolNames = (b: Body) => (b.tools ?? []).map((t) => t.function.name);

async function turn(c: Awaited<ReturnType<typeof connectedClient>>, message: string, key: string) {
  await c.request('agent', { message, idempotencyKey: key });
  await c.waitFor(
    (f) =>
      f.type === 'res' &&
      (f.payload as { runId?: string; status: string }).runId === key &&
      (f.payload as { status: string }).status === 'ok',
    15_000,
  );
}

async function writeSkill(root: string, name: string, frontmatter: string) {
  await mkdir(join(root, name), { recursive: true });
  await writeFile(
    join(root, name, 'SKILL.md'),
    `---\nname: ${name}\n${frontmatter}\n---\n# ${name}\nSteps.\n`,
  );
}

describe('memory through a gateway turn', () => {
  it('the model calls memory_search and gets the snippet with file and lines', async () => {
    const { c, ws } = await setup({ tools: { allow: ['group:memory'] } });
    await mkdir(join(ws, 'memory'), { recursive: true });
    await writeFile(join(ws, 'memory', '2025-03-01.md'), '- Booked flights to Lisbon.\n');
    await writeFile(
      join(ws, 'memory', '2025-03-02.md'),
      '# Health\n- Dentist appointment moved to Thursday 14:00 at Dr. Okafor.\n',
    );
    fake.enqueue(
      {
        type: 'reply',
        toolCalls: [{ id: 'call-m1', name: 'memory_search', args: { query: 'dentist appointment' } }],
      },
      { type: 'reply', text: 'Thursday at 14:00.' },
    );
    await turn(c, 'when is my dentist appointment?', 't-mem-1');
    expect(toolNames(body(-2))).toEqual(expect.arrayContaining(['memory_search', 'memory_get']));
    const toolMessage = body(-1)
      .messages.filter((m) => m.role === 'tool')
      .at(-1);
    const result = JSON.parse(String(toolMessage?.content)) as {
      results: { path: string; startLine: number; endLine: number; snippet: string }[];
    };
    expect(result.results[0]).toMatchObject({ path: 'memory/2025-03-02.md', startLine: 1, endLine: 2 });
    expect(result.results[0]?.snippet).toContain('Dr. Okafor');
  });

  it('memory tools are not offered when memory.enabled is false', async () => {
    const { c } = await setup({ tools: { allow: ['group:memory'] }, memory: { enabled: false } });
    fake.enqueue({ type: 'reply', text: 'hi' });
    await turn(c, 'hello', 't-mem-2');
    expect(toolNames(body(-1))).toContain('read');
    expect(toolNames(body(-1))).not.toContain('memory_search');
  });
});

describe('skills in the system prompt of a gateway turn', () => {
  it('lists eligible skills (workspace and bundled), hides gated ones, and picks up a new skill', async () => {
    const { h, c, ws } = await setup();
    await writeSkill(join(ws, 'skills'), 'weather', 'description: Look up the weather for a city');
    await writeSkill(
      join(ws, 'skills'),
      'needs-token',
      'description: x\nmetadata:\n  requires:\n    env: [NOPE_TOKEN]',
    );
    await writeSkill(join(ws, 'skills'), 'broken', 'description: [unclosed');
    fake.enqueue({ type: 'reply', text: 'ok' });
    await turn(c, 'hello', 't-skills-1');
    const first = systemPrompt(body(-1));
    expect(first).toContain('## Skills\nBefore using a skill, read its SKILL.md:');
    expect(first).toContain('- weather: Look up the weather for a city (skills/weather/SKILL.md)');
    expect(first).toMatch(/- skill-creator: .+ \(\/.+\/skills\/skill-creator\/SKILL\.md\)/);
    expect(first).not.toContain('needs-token');
    expect(first).not.toContain('broken');

    // Managed skills (in the state dir) are seen on the next turn, without a restart.
    await writeSkill(join(h.stateDir, 'skills'), 'standup', 'description: Write the daily standup note');
    fake.enqueue({ type: 'reply', text: 'ok' });
    await turn(c, 'again', 't-skills-2');
    expect(systemPrompt(body(-1))).toContain(
      `- standup: Write the daily standup note (${join(h.stateDir, 'skills', 'standup', 'SKILL.md')})`,
    );
  });
});
