import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentTool } from '../agent/index.js';
import { MemoryManager } from './manager.js';
import { createMemoryTools } from './tools.js';

let dir: string;
let tools: Record<string, AgentTool>;
const ctx = { sessionKey: 'agent:main:main', agentId: 'main', runId: 'r', toolCallId: 't' };
const call = (name: string, args: Record<string, unknown>) =>
  tools[name]!.execute(args as never, ctx, new AbortController().signal);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-memory-'));
  const ws = join(dir, 'ws');
  await mkdir(join(ws, 'memory'), { recursive: true });
  await writeFile(join(ws, 'MEMORY.md'), '# Prefs\n- tea, not coffee\n- call me Sam\n');
  await writeFile(
    join(ws, 'memory', '2025-01-01.md'),
    Array.from({ length: 30 }, (_, i) => `- line ${i + 1}`).join('\n'),
  );
  await writeFile(join(ws, 'SOUL.md'), 'not memory\n');
  await writeFile(join(dir, 'outside.md'), 'CANARY outside\n');
  await symlink(join(dir, 'outside.md'), join(ws, 'memory', 'link.md'));
  await symlink(join(ws, 'SOUL.md'), join(ws, 'memory', 'soul.md'));
  const memory = new MemoryManager({ agentsDir: join(dir, 'agents'), env: {} }).forAgent({
    agentId: 'main',
    workspaceDir: ws,
    config: { enabled: true, chunkMaxChars: 1200, maxResults: 5 },
  });
  tools = Object.fromEntries(createMemoryTools(memory).map((t) => [t.name, t]));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('memory tools', () => {
  it('memory_search returns ranked snippets with file and line range', async () => {
    const out = await call('memory_search', { query: 'coffee or tea?' });
    expect(out.isError).toBeUndefined();
    expect(out.content).toEqual({
      results: [
        {
          path: 'MEMORY.md',
          startLine: 1,
          endLine: 3,
          score: 1,
          snippet: '# Prefs\n- tea, not coffee\n- call me Sam',
        },
      ],
    });
    expect(await call('memory_search', { query: 'CANARY' })).toMatchObject({
      content: { results: [], note: 'nothing in memory matches this query' },
    });
  });

  it('memory_get reads a line range of a memory file', async () => {
    const out = await call('memory_get', { path: 'memory/2025-01-01.md', from: 10, lines: 3 });
    expect(out.content).toEqual({
      path: 'memory/2025-01-01.md',
      from: 10,
      to: 12,
      totalLines: 30,
      text: '- line 10\n- line 11\n- line 12',
      more: true,
    });
    expect((await call('memory_get', { path: './MEMORY.md' })).content).toMatchObject({
      to: 3,
      totalLines: 3,
    });
  });

  it('memory_get is fenced to the memory files', async () => {
    for (const path of [
      'SOUL.md',
      '../outside.md',
      'memory/../SOUL.md',
      '/etc/passwd',
      'memory/link.md',
      'memory/soul.md',
      'memory/%2e%2e/SOUL.md',
    ]) {
      const out = await call('memory_get', { path });
      expect(out.isError, path).toBe(true);
      expect(JSON.stringify(out.content)).not.toContain('CANARY');
      expect(JSON.stringify(out.content)).not.toContain('not memory');
    }
    const missing = await call('memory_get', { path: 'memory/2099-01-01.md' });
    expect(missing).toMatchObject({ isError: true, content: expect.stringMatching(/does not exist/) });
  });
});
