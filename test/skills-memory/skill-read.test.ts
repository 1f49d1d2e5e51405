/**
 * The model reads a skill it finds in the system prompt: bundled and managed skills live outside the
 * workspace, and `read` opens them by the path the prompt lists (read-only), behind the same fence.
 * Driven through a real gateway and the fake model server.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fakeModelConfig } from '../fakes/fake-model-config.js';
import {
  type FakeModelServer,
  type RecordedRequest,
  startFakeModelServer,
} from '../fakes/fake-model-server.js';
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

type Body = { messages: { role: string; content: unknown }[] };
const systemPrompt = (req: RecordedRequest) =>
  String((req.body as Body).messages.find((m) => m.role === 'system')?.content ?? '');
/** The content of the last tool result the model was sent. */
function lastToolResult(): string {
  const body = fake.requests.at(-1)?.body as Body | undefined;
  return String(body?.messages.filter((m) => m.role === 'tool').at(-1)?.content ?? '');
}

/** The SKILL.md path the system prompt lists for `name`. */
function listedPath(req: RecordedRequest, name: string): string {
  const m = new RegExp(`^- ${name}: .* \\((/[^)]+/SKILL\\.md)\\)$`, 'm').exec(systemPrompt(req));
  if (!m?.[1]) throw new Error(`skill ${name} is not listed in the system prompt`);
  return m[1];
}

async function setup() {
  const h = await startGateway({
    ...fakeModelConfig(fake),
  });
  harnesses.push(h);
  return { h, c: await connectedClient(h.url, h.token) };
}

async function turn(c: Awaited<ReturnType<typeof connectedClient>>, message: string, key: string) {
  await c.request('agent', { message, idempotencyKey: key });
  const res = await c.waitFor(
    (f) =>
      f.type === 'res' &&
      (f.payload as { runId?: string } | undefined)?.runId === key &&
      (f.payload as { status: string }).status !== 'accepted',
    15_000,
  );
  expect((res.payload as { status: string }).status).toBe('ok');
}

/** Script one turn: the model reads `pathOf(request)`, then answers. Returns the path it asked for. */
function scriptRead(pathOf: (req: RecordedRequest) => string): { path: () => string } {
  let asked = '';
  fake.enqueue(
    (req) => {
      asked = pathOf(req);
      return { type: 'reply', toolCalls: [{ id: 'call-read', name: 'read', args: { path: asked } }] };
    },
    { type: 'reply', text: 'done' },
  );
  return { path: () => asked };
}

describe('skills outside the workspace are readable by the path the prompt lists', () => {
  it('a bundled skill: the model reads its SKILL.md and gets its text', async () => {
    const { c } = await setup();
    const read = scriptRead((req) => listedPath(req, 'skill-creator'));
    await turn(c, 'make me a skill', 't-read-bundled');
    expect(read.path()).toMatch(/\/skills\/skill-creator\/SKILL\.md$/);
    const onDisk = await readFile(read.path(), 'utf8');
    const result = lastToolResult();
    expect(result).toContain('name: skill-creator');
    expect(result).toContain(onDisk.trimEnd().split('\n').at(-1) ?? '');
  });

  it('a managed skill added while running is readable on the next turn', async () => {
    const { h, c } = await setup();
    const dir = join(h.stateDir, 'skills', 'standup');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'SKILL.md'),
      '---\nname: standup\ndescription: Write the daily standup note\n---\n# Standup\nYesterday, today, blockers.\n',
    );
    const read = scriptRead((req) => listedPath(req, 'standup'));
    await turn(c, 'standup please', 't-read-managed');
    expect(read.path()).toBe(join(dir, 'SKILL.md'));
    expect(lastToolResult()).toContain('Yesterday, today, blockers.');
  });

  it('`..` out of the skill folder is refused, and nothing outside is read', async () => {
    const { c } = await setup();
    const read = scriptRead((req) => `${dirname(listedPath(req, 'skill-creator'))}/../../package.json`);
    await turn(c, 'read around', 't-read-escape');
    expect(read.path()).toContain('/skill-creator/../../package.json');
    const result = lastToolResult();
    expect(result).toContain('outside the workspace and outside the skill folders');
    expect(result).not.toContain('"name": "carapace"');
  });

  it('write is not let in: the skill file stays as it was', async () => {
    const { c } = await setup();
    let file = '';
    fake.enqueue(
      (req) => {
        file = listedPath(req, 'skill-creator');
        return {
          type: 'reply',
          toolCalls: [{ id: 'call-write', name: 'write', args: { path: file, content: 'overwritten' } }],
        };
      },
      { type: 'reply', text: 'done' },
    );
    await turn(c, 'change the skill', 't-write-skill');
    expect(lastToolResult()).toContain('outside the workspace');
    expect(await readFile(file, 'utf8')).toContain('name: skill-creator');
  });
});
