import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentTool, ToolOutput } from '../agent/index.js';
import { createFsTools } from './fs-tools.js';

const ctx = { sessionKey: 'agent:main:main', agentId: 'main', runId: 'r1', toolCallId: 't1' };
let dir: string;
let ws: string;
let tools: AgentTool[];

async function call(name: string, args: Record<string, unknown>): Promise<ToolOutput> {
  const tool = tools.find((t) => t.name === name);
  if (!tool) throw new Error(`no tool ${name}`);
  return tool.execute(args, ctx, new AbortController().signal);
}

function text(out: ToolOutput): string {
  return typeof out.content === 'string' ? out.content : JSON.stringify(out.content);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-fs-'));
  ws = join(dir, 'ws');
  await mkdir(ws);
  tools = createFsTools({ workspaceDir: ws, config: { tools: { fs: { maxReadBytes: 4096 } } } });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createFsTools', () => {
  it('offers the seven file tools in group order', () => {
    expect(tools.map((t) => t.name)).toEqual(['read', 'write', 'edit', 'apply_patch', 'ls', 'find', 'grep']);
  });
});

describe('tools.fs.workspaceOnly', () => {
  it('when false, reaches absolute paths outside the workspace (the fence still refuses bad text)', async () => {
    await writeFile(join(dir, 'outside.txt'), 'out there');
    tools = createFsTools({ workspaceDir: ws, config: { tools: { fs: { workspaceOnly: false } } } });
    expect(text(await call('read', { path: join(dir, 'outside.txt') }))).toBe('out there');
    expect(text(await call('read', { path: '../outside.txt' }))).toBe('out there');
    expect((await call('read', { path: '%2e%2e/outside.txt' })).isError).toBe(true);
  });
});

describe('read', () => {
  it('reads a file, and a window of lines with a continuation note', async () => {
    const lines = Array.from({ length: 10 }, (_, i) => `line ${i + 1}`).join('\n');
    await writeFile(join(ws, 'a.txt'), `${lines}\n`);
    expect(text(await call('read', { path: 'a.txt' }))).toBe(lines);
    const part = text(await call('read', { path: 'a.txt', offset: 3, limit: 2 }));
    expect(part).toContain('line 3\nline 4');
    expect(part).not.toContain('line 5');
    expect(part).toContain('Continue with offset=5');
  });

  it('caps output at maxReadBytes and says where to continue', async () => {
    const big = Array.from({ length: 1000 }, (_, i) => `row ${i} ${'x'.repeat(20)}`).join('\n');
    await writeFile(join(ws, 'big.txt'), big);
    const out = text(await call('read', { path: 'big.txt' }));
    expect(Buffer.byteLength(out)).toBeLessThan(4096 + 200);
    expect(out).toMatch(/output capped at 4096 bytes.*Continue with offset=\d+/);
  });

  it('reports binary and empty files, offsets past the end and missing files', async () => {
    await writeFile(join(ws, 'bin'), Buffer.from([1, 0, 2, 3]));
    await writeFile(join(ws, 'empty'), '');
    await writeFile(join(ws, 'two'), 'a\nb\n');
    expect(text(await call('read', { path: 'bin' }))).toContain('binary file (4 bytes)');
    expect(text(await call('read', { path: 'empty' }))).toContain('is empty');
    const past = await call('read', { path: 'two', offset: 9 });
    expect(past.isError).toBe(true);
    expect(text(past)).toContain('past the end');
    const missing = await call('read', { path: 'nope.txt' });
    expect(missing.isError).toBe(true);
    expect(text(missing)).toContain("'nope.txt' does not exist");
  });

  it('follows a symlink that stays inside the workspace', async () => {
    await writeFile(join(ws, 'real.txt'), 'inside');
    await symlink('real.txt', join(ws, 'alias.txt'));
    expect(text(await call('read', { path: 'alias.txt' }))).toBe('inside');
  });
});

describe('write', () => {
  it('creates parent directories and replaces files atomically, keeping the mode', async () => {
    const out = await call('write', { path: 'deep/er/new.txt', content: 'hello' });
    expect(out.isError).toBeFalsy();
    expect(text(out)).toContain("Wrote 5 bytes to 'deep/er/new.txt' (created)");
    expect(await readFile(join(ws, 'deep/er/new.txt'), 'utf8')).toBe('hello');
    await writeFile(join(ws, 'x.sh'), 'old', { mode: 0o755 });
    expect(text(await call('write', { path: 'x.sh', content: 'new' }))).toContain('(replaced)');
    expect(await readFile(join(ws, 'x.sh'), 'utf8')).toBe('new');
    expect((await stat(join(ws, 'x.sh'))).mode & 0o777).toBe(0o755);
  });

  it('refuses to write through a symlink, even one inside the workspace', async () => {
    await writeFile(join(ws, 'target.txt'), 'keep');
    await symlink('target.txt', join(ws, 'link.txt'));
    const out = await call('write', { path: 'link.txt', content: 'x' });
    expect(out.isError).toBe(true);
    expect(text(out)).toContain('symbolic link');
    expect(await readFile(join(ws, 'target.txt'), 'utf8')).toBe('keep');
  });
});

describe('edit', () => {
  it('replaces one exact match', async () => {
    await writeFile(join(ws, 'f.ts'), 'const a = 1;\nconst b = 2;\n');
    const out = await call('edit', { path: 'f.ts', old_string: 'const b = 2;', new_string: 'const b = 3;' });
    expect(text(out)).toContain('replaced 1 occurrence (line 2)');
    expect(await readFile(join(ws, 'f.ts'), 'utf8')).toBe('const a = 1;\nconst b = 3;\n');
  });

  it('refuses zero matches and several matches, saying how many and where', async () => {
    await writeFile(join(ws, 'f.txt'), 'x = 1\ny = 2\nx = 1\nz\nx = 1\n');
    const none = await call('edit', { path: 'f.txt', old_string: 'w = 9', new_string: 'q' });
    expect(none.isError).toBe(true);
    expect(text(none)).toContain('not found');
    expect(text(none)).toContain('0 matches');
    const many = await call('edit', { path: 'f.txt', old_string: 'x = 1', new_string: 'x = 2' });
    expect(many.isError).toBe(true);
    expect(text(many)).toContain('matches 3 times');
    expect(text(many)).toContain('lines 1, 3, 5');
    expect(await readFile(join(ws, 'f.txt'), 'utf8')).toBe('x = 1\ny = 2\nx = 1\nz\nx = 1\n');
    const all = await call('edit', {
      path: 'f.txt',
      old_string: 'x = 1',
      new_string: 'x = 2',
      replace_all: true,
    });
    expect(text(all)).toContain('3 occurrences');
    expect(await readFile(join(ws, 'f.txt'), 'utf8')).toBe('x = 2\ny = 2\nx = 2\nz\nx = 2\n');
  });

  it('hints at a whitespace-only difference and treats $ patterns literally', async () => {
    await writeFile(join(ws, 'g.txt'), 'a  \nb\n');
    const near = await call('edit', { path: 'g.txt', old_string: 'a\nb', new_string: 'c' });
    expect(text(near)).toContain('trailing whitespace');
    await writeFile(join(ws, 'h.txt'), 'price\n');
    await call('edit', { path: 'h.txt', old_string: 'price', new_string: "$& $' $1" });
    expect(await readFile(join(ws, 'h.txt'), 'utf8')).toBe("$& $' $1\n");
  });
});

describe('ls, find and grep', () => {
  beforeEach(async () => {
    await mkdir(join(ws, 'src/lib'), { recursive: true });
    await mkdir(join(ws, 'node_modules/pkg'), { recursive: true });
    await writeFile(join(ws, 'src/main.ts'), 'import x from "./lib/x.js";\nconsole.log(x);\n');
    await writeFile(join(ws, 'src/lib/x.ts'), 'export default 42;\n// TODO: more\n');
    await writeFile(join(ws, 'README.md'), '# Title\nTODO write docs\n');
    await writeFile(join(ws, 'node_modules/pkg/index.ts'), 'TODO hidden\n');
  });

  it('ls marks directories and symlinks', async () => {
    await symlink('README.md', join(ws, 'readme-link'));
    expect(text(await call('ls', {}))).toBe('README.md\nnode_modules/\nreadme-link@\nsrc/');
    expect(text(await call('ls', { path: 'src' }))).toBe('lib/\nmain.ts');
    expect((await call('ls', { path: 'README.md' })).isError).toBe(true);
  });

  it('find matches globs relative to the workspace and skips node_modules', async () => {
    expect(text(await call('find', { pattern: '*.ts' }))).toBe('src/lib/x.ts\nsrc/main.ts');
    expect(text(await call('find', { pattern: 'src/**/*.{ts,md}' }))).toBe('src/lib/x.ts\nsrc/main.ts');
    expect(text(await call('find', { pattern: '*.ts', path: 'src/lib' }))).toBe('src/lib/x.ts');
    expect(text(await call('find', { pattern: 'lib' }))).toBe('src/lib/');
    expect(text(await call('find', { pattern: '*.py' }))).toContain('No files match');
  });

  it('grep gives file:line results, honours glob, case and limit, and refuses bad regexes', async () => {
    expect(text(await call('grep', { pattern: 'TODO' }))).toBe(
      'README.md:2: TODO write docs\nsrc/lib/x.ts:2: // TODO: more',
    );
    expect(text(await call('grep', { pattern: 'todo', ignore_case: true, glob: '*.ts' }))).toBe(
      'src/lib/x.ts:2: // TODO: more',
    );
    expect(text(await call('grep', { pattern: 'TODO', limit: 1 }))).toContain('limit of 1 matches reached');
    expect(text(await call('grep', { pattern: 'x', path: 'src/main.ts' }))).toContain('src/main.ts:1:');
    const bad = await call('grep', { pattern: '(' });
    expect(bad.isError).toBe(true);
    expect(text(bad)).toContain('invalid regular expression');
  });
});
