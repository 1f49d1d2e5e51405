import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentTool, ToolOutput } from '../agent/index.js';
import { createExecTools } from './exec/index.js';
import { createFsTools } from './fs-tools.js';

// An agent must not be able to make an allowlisted `git status` / `git diff` / `git log` run a command of
// its choosing through git's own configuration (core.fsmonitor, diff.external, gpg.program, hooks …).

const ctx = { sessionKey: 'agent:main:main', agentId: 'main', runId: 'r1', toolCallId: 't1' };
const signal = () => new AbortController().signal;
const HAS_GIT = spawnSync('git', ['--version']).status === 0;

let dir: string;
let ws: string;
let marker: string;
let fsTools: AgentTool[];

function tool(name: string): AgentTool {
  const t = fsTools.find((x) => x.name === name);
  if (!t) throw new Error(`no tool ${name}`);
  return t;
}
const text = (out: ToolOutput) =>
  typeof out.content === 'string' ? out.content : JSON.stringify(out.content);

function execTools(allowlist = ['git status', 'git diff', 'git log', 'echo']) {
  const config = {
    exec: {
      security: 'allowlist' as const,
      ask: 'off' as const,
      allowlist,
      timeoutSec: 30,
      yieldMs: 20_000,
      approvalTimeoutSec: 5,
      maxOutputBytes: 200_000,
    },
    sandbox: { mode: 'off' as const, workspaceAccess: 'rw' as const, network: false, memoryMb: 512 },
  };
  return createExecTools({
    config: () => config,
    workspaceDir: () => ws,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
  });
}

async function exec(command: string): Promise<Record<string, unknown>> {
  const out = await execTools().exec.execute({ command }, ctx, signal());
  return out.content as Record<string, unknown>;
}

function git(cwd: string, ...args: string[]): string {
  const res = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: dir, GIT_CONFIG_NOSYSTEM: '1' },
  });
  if (res.status !== 0) throw new Error(`git ${args.join(' ')}: ${res.stderr}`);
  return res.stdout.trim();
}

beforeEach(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'carapace-git-guard-')));
  ws = join(dir, 'ws');
  marker = join(dir, 'PWNED');
  await mkdir(ws);
  fsTools = createFsTools({ workspaceDir: ws });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('file tools never write under .git', () => {
  const evil = `[core]\n\tfsmonitor = "touch PWNED; false"\n`;
  const paths = [
    '.git/config',
    '.git/hooks/post-index-change',
    '.git',
    'sub/.git/config',
    'sub/.git',
    '.GIT/config',
    './x/../.git/config',
    'deep/er/.Git/info/attributes',
  ];

  it.each(paths)('write refuses %s and creates nothing', async (path) => {
    const out = await tool('write').execute({ path, content: evil }, ctx, signal());
    expect(out.isError).toBe(true);
    expect(text(out)).toMatch(/\.git/i);
    expect(existsSync(join(ws, '.git'))).toBe(false);
    expect(existsSync(join(ws, 'sub'))).toBe(false);
    expect(existsSync(join(ws, 'deep', 'er', '.Git'))).toBe(false);
  });

  it('edit and apply_patch refuse an existing .git/config; it stays as it was', async () => {
    await mkdir(join(ws, '.git'));
    await writeFile(join(ws, '.git', 'config'), '[core]\n\tbare = false\n');
    const edit = await tool('edit').execute(
      { path: '.git/config', old_string: 'bare = false', new_string: 'fsmonitor = "touch PWNED"' },
      ctx,
      signal(),
    );
    expect(edit.isError).toBe(true);
    expect(text(edit)).toMatch(/\.git/);
    const patch = [
      '*** Begin Patch',
      '*** Update File: .git/config',
      '@@',
      ' [core]',
      '+\tfsmonitor = "touch PWNED"',
      '*** Add File: .git/hooks/pre-commit',
      '+touch PWNED',
      '*** End Patch',
    ].join('\n');
    const applied = await tool('apply_patch').execute({ patch }, ctx, signal());
    expect(applied.isError).toBe(true);
    expect(text(applied)).toMatch(/\.git/);
    expect(await readFile(join(ws, '.git', 'config'), 'utf8')).toBe('[core]\n\tbare = false\n');
    expect(existsSync(join(ws, '.git', 'hooks'))).toBe(false);
  });

  it('a symlink that leads into .git does not get around it', async () => {
    await mkdir(join(ws, '.git'));
    await symlink('.git', join(ws, 'innocent'));
    const out = await tool('write').execute(
      { path: 'innocent/hooks/x/post-checkout', content: 'x' },
      ctx,
      signal(),
    );
    expect(out.isError).toBe(true);
    expect(text(out)).toMatch(/PATH_PROTECTED|\.git/);
    expect(existsSync(join(ws, '.git', 'hooks'))).toBe(false);
  });

  it('.gitignore, .gitattributes and .github stay writable', async () => {
    for (const path of ['.gitignore', '.gitattributes', '.github/workflows/ci.yml', 'git/config']) {
      const out = await tool('write').execute({ path, content: 'x\n' }, ctx, signal());
      expect(out.isError, path).toBeFalsy();
    }
  });
});

describe('exec redirections into .git need an operator', () => {
  it('an allowlisted echo appending to .git/config is not run', async () => {
    await mkdir(join(ws, '.git'));
    await writeFile(join(ws, '.git', 'config'), '');
    for (const command of [
      `echo '[core] fsmonitor = x' >> .git/config`,
      `echo x > sub/../.git/config`,
      `cd .git && echo x > config`,
    ]) {
      const out = await exec(command);
      expect(out, command).toMatchObject({ status: 'refused', code: 'EXEC_NOT_ALLOWLISTED' });
      expect(String(out.message)).toContain('redirect-git-dir');
    }
    expect(await readFile(join(ws, '.git', 'config'), 'utf8')).toBe('');
    expect(await exec('echo ok > notes.txt')).toMatchObject({ status: 'completed' });
  });
});

describe.skipIf(!HAS_GIT)('allowlisted git with a planted configuration runs nothing else', () => {
  it('the agent cannot plant core.fsmonitor in .git/config; git status and git diff run clean', async () => {
    await mkdir(join(ws, 'repo'));
    git(join(ws, 'repo'), 'init', '-q');
    const config = join(ws, 'repo', '.git', 'config');
    const before = await readFile(config, 'utf8');
    const planted = `${before}[core]\n\tfsmonitor = "touch ${marker}; false"\n[diff]\n\texternal = "touch ${marker}"\n`;
    const out = await tool('write').execute({ path: 'repo/.git/config', content: planted }, ctx, signal());
    expect(out.isError).toBe(true);
    expect(await readFile(config, 'utf8')).toBe(before);
    await tool('write').execute({ path: 'repo/a.txt', content: 'one\n' }, ctx, signal());
    expect(await exec('cd repo && git status')).toMatchObject({ status: 'completed', exitCode: 0 });
    expect(await exec('cd repo && git diff')).toMatchObject({ status: 'completed', exitCode: 0 });
    expect(existsSync(marker)).toBe(false);
  });

  it('core.fsmonitor in a repository config written by anyone else does not run either', async () => {
    await mkdir(join(ws, 'repo'));
    git(join(ws, 'repo'), 'init', '-q');
    await writeFile(join(ws, 'repo', '.git', 'config'), `[core]\n\tfsmonitor = "touch ${marker}; false"\n`, {
      flag: 'a',
    });
    await writeFile(join(ws, 'repo', 'a.txt'), 'one\n');
    const out = await exec('cd repo && git status');
    expect(out).toMatchObject({ status: 'completed', exitCode: 0 });
    expect(String(out.output)).toContain('a.txt');
    expect(existsSync(marker)).toBe(false);
  });

  it('a bare repository whose config the agent wrote is not used by git log', async () => {
    // A repository with one signed-looking commit, copied as a bare directory `b` (objects the agent
    // could have written as well); then the agent writes b/config, which is not under .git.
    await mkdir(join(dir, 'src'));
    git(join(dir, 'src'), 'init', '-q');
    const tree = git(join(dir, 'src'), 'write-tree');
    const raw = join(dir, 'commit.txt');
    await writeFile(
      raw,
      `tree ${tree}\nauthor a <a@a> 0 +0000\ncommitter a <a@a> 0 +0000\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n -----END PGP SIGNATURE-----\n\nmsg\n`,
    );
    const commit = git(join(dir, 'src'), 'hash-object', '-t', 'commit', '-w', raw);
    git(join(dir, 'src'), 'update-ref', 'refs/heads/main', commit);
    git(join(dir, 'src'), 'symbolic-ref', 'HEAD', 'refs/heads/main');
    spawnSync('cp', ['-r', join(dir, 'src', '.git'), join(ws, 'b')]);
    const gpg = join(dir, 'gpg.sh');
    await writeFile(gpg, `#!/bin/sh\ntouch '${marker}'\n`, { mode: 0o755 });
    const bareConfig = `[core]\n\trepositoryformatversion = 0\n\tbare = true\n[log]\n\tshowSignature = true\n[gpg]\n\tprogram = ${gpg}\n`;
    const wrote = await tool('write').execute({ path: 'b/config', content: bareConfig }, ctx, signal());
    expect(wrote.isError).toBeFalsy();
    const out = await exec('cd b && git log');
    expect(out).toMatchObject({ status: 'failed', exitCode: 128 });
    expect(String(out.output)).toMatch(/bare repository/);
    expect(existsSync(marker)).toBe(false);
  });
});
