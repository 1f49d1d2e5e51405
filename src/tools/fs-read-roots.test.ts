import { link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentTool, ToolOutput } from '../agent/index.js';
import { createFsTools } from './fs-tools.js';

const ctx = { sessionKey: 'agent:main:main', agentId: 'main', runId: 'r1', toolCallId: 't1' };
let dir: string;
let ws: string;
let skills: string;
let tools: AgentTool[];

async function call(name: string, args: Record<string, unknown>): Promise<ToolOutput> {
  const tool = tools.find((t) => t.name === name);
  if (!tool) throw new Error(`no tool ${name}`);
  return tool.execute(args, ctx, new AbortController().signal);
}

const text = (out: ToolOutput) =>
  typeof out.content === 'string' ? out.content : JSON.stringify(out.content);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-roots-'));
  ws = join(dir, 'ws');
  skills = join(dir, 'skills');
  await mkdir(ws);
  await mkdir(join(skills, 'weather', 'scripts'), { recursive: true });
  await mkdir(join(skills, 'hidden'), { recursive: true });
  await writeFile(join(skills, 'weather', 'SKILL.md'), '---\nname: weather\n---\nCall the API.\n');
  await writeFile(join(skills, 'weather', 'scripts', 'fetch.sh'), 'curl wttr.in\n');
  await writeFile(join(skills, 'hidden', 'SKILL.md'), 'not listed\n');
  await writeFile(join(dir, 'secret.txt'), 'top secret\n');
  tools = createFsTools({
    workspaceDir: ws,
    readOnlyRoots: async () => [join(skills, 'weather')],
  });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('read-only roots (the listed skills)', () => {
  it('read opens a file of a listed skill by its absolute path, and its other files', async () => {
    const out = await call('read', { path: join(skills, 'weather', 'SKILL.md') });
    expect(out.isError).toBeFalsy();
    expect(text(out)).toContain('Call the API.');
    expect(text(await call('read', { path: join(skills, 'weather', 'scripts', 'fetch.sh') }))).toBe(
      'curl wttr.in',
    );
    expect(tools.find((t) => t.name === 'read')?.description).toContain('skills listed in the system prompt');
  });

  it('refuses `..` out of the skill folder, to an unlisted skill or anywhere else', async () => {
    for (const path of [
      join(skills, 'weather', '..', 'hidden', 'SKILL.md'),
      `${join(skills, 'weather')}/../../secret.txt`,
      `${join(skills, 'weather')}/scripts/../../../secret.txt`,
      join(skills, 'hidden', 'SKILL.md'),
      join(dir, 'secret.txt'),
    ]) {
      const out = await call('read', { path });
      expect(out.isError, path).toBe(true);
      expect(text(out), path).toContain('outside the workspace and outside the skill folders');
      expect(text(out), path).not.toContain('secret\n');
    }
  });

  it('refuses a symbolic link or a hard link in the skill folder that leads out of it', async () => {
    await symlink(join(dir, 'secret.txt'), join(skills, 'weather', 'link.txt'));
    await symlink(dir, join(skills, 'weather', 'up'));
    const viaLink = await call('read', { path: join(skills, 'weather', 'link.txt') });
    expect(viaLink.isError).toBe(true);
    expect(text(viaLink)).toContain('leads out of the skill folder');
    const viaDir = await call('read', { path: join(skills, 'weather', 'up', 'secret.txt') });
    expect(viaDir.isError).toBe(true);
    expect(text(viaDir)).toContain('leads out of the skill folder');
    await link(join(dir, 'secret.txt'), join(skills, 'weather', 'hard.txt'));
    const hard = await call('read', { path: join(skills, 'weather', 'hard.txt') });
    expect(hard.isError).toBe(true);
    expect(text(hard)).toContain('hard links');
  });

  it('is read-only: write, edit, ls, grep and find keep to the workspace', async () => {
    const file = join(skills, 'weather', 'SKILL.md');
    const results = [
      await call('write', { path: file, content: 'pwned' }),
      await call('edit', { path: file, old_string: 'Call the API.', new_string: 'pwned' }),
      await call('grep', { path: join(skills, 'weather'), pattern: 'API' }),
      await call('ls', { path: join(skills, 'weather') }),
      await call('find', { path: join(skills, 'weather'), pattern: '*.md' }),
    ];
    for (const out of results) {
      expect(out.isError).toBe(true);
      expect(text(out)).toContain('outside the workspace');
    }
    expect(text(await call('read', { path: file }))).toContain('Call the API.');
  });

  it('without roots, paths outside the workspace get the plain workspace refusal', async () => {
    tools = createFsTools({ workspaceDir: ws });
    const out = await call('read', { path: join(skills, 'weather', 'SKILL.md') });
    expect(out.isError).toBe(true);
    expect(text(out)).toContain('is outside the workspace; file tools only reach files inside it');
    expect(tools.find((t) => t.name === 'read')?.description).not.toContain('skills');
  });
});
