import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AllowlistRule,
  analyzeCommand,
  approvalStillHolds,
  configRules,
  type ExecAnalysis,
  fingerprintFile,
  sanitizePathDirs,
} from './index.js';

let root: string;
let ws: string;
let bin: string;

function exe(dir: string, name: string, body = 'exit 0'): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const ALLOW = ['ls', 'cat', 'echo', 'sort', 'find', 'git status', 'python3', 'node -e', 'date'];

function analyze(
  command: string,
  extra: Partial<Parameters<typeof analyzeCommand>[0]> = {},
): Promise<ExecAnalysis> {
  return analyzeCommand({
    command,
    cwd: ws,
    workspaceDir: ws,
    pathDirs: [bin],
    rules: configRules(ALLOW),
    agentId: 'main',
    ...extra,
  });
}

async function covered(command: string, extra: Partial<Parameters<typeof analyzeCommand>[0]> = {}) {
  const a = await analyze(command, extra);
  return a.misses.length === 0 && !a.refusal;
}

async function missCodes(command: string): Promise<string[]> {
  return (await analyze(command)).misses.map((m) => m.code);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'carapace-analyze-'));
  ws = join(root, 'ws');
  bin = join(root, 'bin');
  mkdirSync(join(ws, 'sub'), { recursive: true });
  mkdirSync(bin);
  for (const name of [
    'ls',
    'cat',
    'echo',
    'sort',
    'find',
    'git',
    'python3',
    'node',
    'date',
    'nice',
    'env',
    'sudo',
  ]) {
    exe(bin, name);
  }
  symlinkSync(join(bin, 'ls'), join(bin, 'rm'));
  exe(ws, 'ls');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('analyzeCommand: allowlist matching', () => {
  it('matches a program entry with any arguments, and an argv-prefix entry only with its prefix', async () => {
    expect(await covered('ls -la /tmp')).toBe(true);
    expect(await covered('git status --short')).toBe(true);
    expect(await covered('git push')).toBe(false);
    expect(await covered('git statusx')).toBe(false);
    expect(await covered('git -c core.pager=x status')).toBe(false);
  });

  it('resolves the program through PATH to the same real file and the same name', async () => {
    expect(await covered(`${bin}/ls`)).toBe(true);
    expect(await covered('./ls')).toBe(false);
    // `rm` is a symlink to the `ls` file: a multi-call binary would act as rm, so no match.
    expect(await covered('rm x')).toBe(false);
    expect((await analyze('nosuch')).refusal?.code).toBe('not-found');
  });

  it('keeps inline code out of a bare interpreter entry', async () => {
    expect(await covered('python3 script.py a')).toBe(true);
    expect(await missCodes('python3 -c x')).toEqual(['interpreter-inline']);
    expect(await missCodes('python3')).toEqual(['interpreter-inline']);
    expect(await missCodes('python3 -')).toEqual(['interpreter-inline']);
    expect(await covered('node -e "1"')).toBe(true);
    expect(await covered('node script.js')).toBe(false);
  });

  it('refuses denied options, short clusters and every long-option prefix', async () => {
    expect(await missCodes('sort -o out f')).toEqual(['denied-option']);
    expect(await missCodes('sort -ruo out f')).toEqual(['denied-option']);
    for (const p of ['--o', '--ou', '--out', '--outp', '--outpu', '--output', '--compress-prog']) {
      expect(await missCodes(`sort ${p}=x f`), p).toEqual(['denied-option']);
    }
    expect(await covered('sort --check f')).toBe(true);
    expect(await covered('sort -- -o')).toBe(true);
    expect(await missCodes('find . -delete')).toEqual(['denied-option']);
    expect(await missCodes('find . -exec x')).toEqual(['denied-option']);
    expect(await missCodes('date --se=x')).toEqual(['denied-option']);
  });

  it('unwraps harmless wrappers and refuses the others', async () => {
    expect(await covered('nice -n 5 ls')).toBe(true);
    expect(await covered('exec ls')).toBe(true);
    expect(await covered('env -u HOME ls')).toBe(true);
    expect(await missCodes('sudo ls')).toEqual(['wrapper']);
    expect(await missCodes("env -S 'ls'")).toEqual(['wrapper']);
    expect((await analyze('env LD_PRELOAD=x ls')).refusal?.code).toBe('env-injection');
    expect((await analyze('LD_PRELOAD=x ls')).refusal?.code).toBe('env-injection');
    expect((await analyze('LD_PRELOAD=x ls $(y)')).refusal?.code).toBe('env-injection');
  });

  it('checks redirect targets against the workspace (symlinks resolved)', async () => {
    expect(await covered('echo x > out.txt')).toBe(true);
    expect(await covered('echo x > /dev/null')).toBe(true);
    expect(await missCodes('echo x > ../escape')).toEqual(['redirect-outside-workspace']);
    symlinkSync(join(root, 'elsewhere'), join(ws, 'link'));
    expect(await missCodes('echo x > link')).toEqual(['redirect-outside-workspace']);
    expect(await missCodes('echo x >> sub/../../escape')).toEqual(['redirect-outside-workspace']);
    expect(await covered('echo x > out.txt', { sandboxAccess: 'ro' })).toBe(false);
    expect(await covered('cat < in.txt', { sandboxAccess: 'none' })).toBe(false);
    expect(await covered('cat < in.txt', { sandboxAccess: 'ro' })).toBe(true);
  });

  it('follows cd inside the workspace and flags leaving it', async () => {
    const a = await analyze('cd sub && ls');
    expect(a.misses).toEqual([]);
    expect(a.entries[1]?.pipeline[0]?.cwd).toBe(join(ws, 'sub'));
    expect(await missCodes('cd / && ls')).toEqual(['cwd-outside-workspace']);
    expect(await missCodes('ls')).toEqual([]);
    expect((await analyze('ls', { cwd: root })).misses.map((m) => m.code)).toEqual(['cwd-outside-workspace']);
    const builtin = await analyze('export X=1');
    expect(builtin.static).toBe(false);
    expect(builtin.misses.map((m) => m.code)).toEqual(['builtin']);
  });

  it('marks dynamic commands as not static, with every flag as a miss', async () => {
    const a = await analyze('ls $(rm x) *.ts');
    expect(a.static).toBe(false);
    expect(a.misses.map((m) => m.code).sort()).toEqual(['command-substitution', 'glob']);
  });
});

describe('exact rules and approval binding', () => {
  it('an exact rule with pinned binaries matches only the same argv and the unchanged file', async () => {
    const make = exe(bin, 'make');
    const rule: AllowlistRule = {
      argv: ['make', 'test'],
      match: 'exact',
      binaries: [(await fingerprintFile(make))!],
      source: 'store',
      label: 'make test',
      agentId: 'main',
    };
    const rules = [rule];
    expect(await covered('make test', { rules })).toBe(true);
    expect(await covered('make test x', { rules })).toBe(false);
    expect(await covered('make test', { rules, agentId: 'other' })).toBe(false);
    exe(bin, 'make', 'echo changed');
    expect(await covered('make test', { rules })).toBe(false);
  });

  it('approvalStillHolds notices a changed binary, cwd or PATH resolution', async () => {
    const before = await analyze('cat f');
    expect(approvalStillHolds(before, await analyze('cat f'))).toBeUndefined();
    exe(bin, 'cat', 'echo swapped; exit 0');
    expect(approvalStillHolds(before, await analyze('cat f'))).toMatch(/program changed/);
    const early = join(root, 'early');
    mkdirSync(early);
    const b2 = await analyze('echo x');
    exe(early, 'echo');
    expect(approvalStillHolds(b2, await analyze('echo x', { pathDirs: [early, bin] }))).toMatch(
      /program changed/,
    );
  });
});

describe('sanitizePathDirs', () => {
  it('keeps absolute dirs outside the workspace, once each', () => {
    expect(sanitizePathDirs(`.::bin:/usr/bin:${'/ws'}/bin:/usr/bin:/bin/`, '/ws')).toEqual([
      '/usr/bin',
      '/bin',
    ]);
  });
});
