import { lstat, readlink, realpath } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { type AllowlistRule, matchRules } from './allowlist.js';
import { isEnvInjectionName, isInside } from './env-policy.js';
import { type BinaryFingerprint, type DirFingerprint, fingerprintDir, resolveProgram } from './resolve.js';
import { MAX_COMMAND_LENGTH, parseShell } from './shell-parse.js';
import type { ListConnector, ParsedShell, Redirect, ShellFlagCode, SimpleCommand } from './shell-types.js';
import { unwrapCommand } from './wrappers.js';

/** Why a command needs an operator's approval (it can never match the allowlist as it is). */
export type MissCode =
  | ShellFlagCode
  | 'not-allowlisted'
  | 'wrapper'
  | 'builtin'
  | 'interpreter-inline'
  | 'denied-option'
  | 'redirect-outside-workspace'
  | 'redirect-git-dir'
  | 'cwd-outside-workspace';

export interface Miss {
  code: MissCode;
  detail: string;
  /** The simple command it concerns, when there is one. */
  argv?: string[];
}

/** Why a command is refused without asking. */
export type RefusalCode = 'empty' | 'too-long' | 'not-found' | 'env-injection';

export interface PlannedRedirect {
  fd: number;
  kind: 'read' | 'write' | 'append' | 'dup' | 'data';
  /** Real path for read/write/append (`/dev/null` allowed). */
  path?: string;
  /** Here-document or here-string contents. */
  data?: string;
  /** For `dup`: the fd copied (`2>&1` → 1). */
  from?: number;
}

/** A simple command ready to run without a shell. */
export interface PlannedCommand {
  builtin?: 'cd';
  /** The argv executed: argv[0] as written (builtins `exec`/`command` removed). */
  argv: string[];
  /** The program after unwrapping wrappers such as `nice` or `timeout`. */
  effective: string[];
  /** The program words resolved through PATH (wrappers, then the effective program); one per binary. */
  programs: string[];
  /** Real paths and stat facts of every program run: executed first, effective last. */
  binaries: BinaryFingerprint[];
  /** Directory it runs in (real path). */
  cwd: string;
  redirects: PlannedRedirect[];
  /** Label of the allowlist rule that matched. */
  matched?: string;
}

export interface PlannedEntry {
  connector: ListConnector;
  pipeline: PlannedCommand[];
}

export interface AnalyzeInput {
  command: string;
  /** Real path of the directory the command starts in. */
  cwd: string;
  /** Real path of the agent workspace. */
  workspaceDir: string;
  /** Sanitized PATH dirs (see sanitizePathDirs). */
  pathDirs: readonly string[];
  rules: readonly AllowlistRule[];
  agentId: string;
  /**
   * The sandbox's workspace access when the command runs sandboxed: with `ro` output redirections are
   * not allowed, with `none` no file redirection at all (the workspace is not mounted).
   */
  sandboxAccess?: 'none' | 'ro' | 'rw';
}

/** The policy's view of one command string. */
export interface ExecAnalysis {
  command: string;
  parsed: ParsedShell;
  cwd: DirFingerprint;
  /** No shell features beyond what the direct runner executes: the plan can run without `/bin/sh`. */
  static: boolean;
  entries: PlannedEntry[];
  /** Every reason an operator must approve it; empty means the allowlist covers it all. */
  misses: Miss[];
  refusal?: { code: RefusalCode; message: string };
}

const SHELL_BUILTINS = new Set(
  (
    'eval source . alias unalias export readonly set unset shopt trap builtin declare typeset local let read ' +
    'mapfile readarray hash enable ulimit umask fc history jobs fg bg wait disown return exit break continue ' +
    'shift getopts times caller compgen complete compopt dirs pushd popd suspend logout cd exec command'
  ).split(' '),
);

/**
 * Parse and resolve a command string against the allowlist. Never runs anything; touches the filesystem
 * only to resolve programs, directories and redirect targets.
 */
export async function analyzeCommand(input: AnalyzeInput): Promise<ExecAnalysis> {
  const parsed = parseShell(input.command);
  const cwdFp = (await fingerprintDir(input.cwd)) ?? { path: input.cwd, ino: -1, dev: -1 };
  const out: ExecAnalysis = {
    command: input.command,
    parsed,
    cwd: cwdFp,
    static: true,
    entries: [],
    misses: [],
  };
  const refuse = (code: RefusalCode, message: string) => {
    out.refusal ??= { code, message };
  };
  if (input.command.trim() === '') refuse('empty', 'empty command');
  if (input.command.length > MAX_COMMAND_LENGTH)
    refuse('too-long', `command longer than ${MAX_COMMAND_LENGTH}`);
  if (input.command.includes('\0')) refuse('empty', 'command contains a NUL byte');
  for (const f of parsed.flags) out.misses.push({ code: f.code, detail: f.detail });
  if (parsed.flags.length > 0) out.static = false;
  if (!isInside(cwdFp.path, input.workspaceDir)) {
    out.misses.push({ code: 'cwd-outside-workspace', detail: cwdFp.path });
  }
  for (const entry of parsed.list) {
    for (const cmd of entry.pipeline) {
      for (const a of cmd.assignments) {
        const name = a.slice(0, a.indexOf('='));
        if (isEnvInjectionName(name)) refuse('env-injection', `sets ${name}, which can inject code`);
      }
    }
  }
  if (out.refusal || !out.static) {
    for (const e of parsed.list) {
      out.entries.push({
        connector: e.connector,
        pipeline: e.pipeline.map((c) => displayOnly(c, input.cwd)),
      });
    }
    // Unwrap even dynamic commands so `env LD_PRELOAD=… x $(y)` is refused, not asked.
    for (const e of parsed.list) {
      for (const c of e.pipeline) {
        const u = unwrapCommand(c.argv);
        if (!u.ok && u.code === 'env-injection') refuse('env-injection', u.detail);
      }
    }
    return out;
  }
  const ctx = new Resolver(input, out);
  let cwd = cwdFp.path;
  for (const e of parsed.list) {
    const pipeline: PlannedCommand[] = [];
    for (const c of e.pipeline) {
      const planned = await ctx.plan(c, cwd, e.pipeline.length);
      pipeline.push(planned);
      if (planned.builtin === 'cd') cwd = planned.cwd;
    }
    out.entries.push({ connector: e.connector, pipeline });
  }
  return out;
}

function displayOnly(c: SimpleCommand, cwd: string): PlannedCommand {
  return { argv: c.argv, effective: c.argv, programs: [], binaries: [], cwd, redirects: [] };
}

class Resolver {
  private readonly ruleCache = new Map<string, Promise<BinaryFingerprint | undefined>>();

  constructor(
    private readonly input: AnalyzeInput,
    private readonly out: ExecAnalysis,
  ) {}

  private miss(code: MissCode, detail: string, argv?: string[]): void {
    this.out.misses.push(argv ? { code, detail, argv } : { code, detail });
  }

  private refuse(code: RefusalCode, message: string): void {
    this.out.refusal ??= { code, message };
  }

  async plan(c: SimpleCommand, cwd: string, pipelineLength: number): Promise<PlannedCommand> {
    const planned: PlannedCommand = {
      argv: c.argv,
      effective: c.argv,
      programs: [],
      binaries: [],
      cwd,
      redirects: [],
    };
    if (c.argv[0] === 'cd') return this.planCd(c, planned, pipelineLength);
    const unwrapped = unwrapCommand(c.argv);
    planned.argv = unwrapped.execArgv;
    if (!unwrapped.ok && unwrapped.code !== 'wrapper') {
      if (unwrapped.code === 'env-injection') this.refuse('env-injection', unwrapped.detail);
      else this.needsShell('builtin', unwrapped.detail, c.argv);
      return planned;
    }
    if (unwrapped.ok) planned.effective = unwrapped.effective;
    const program = planned.argv[0] ?? '';
    if (SHELL_BUILTINS.has(program)) {
      this.needsShell('builtin', `${program} is a shell builtin`, c.argv);
      return planned;
    }
    const programs = unwrapped.ok ? [...unwrapped.wrappers, unwrapped.effective[0]!] : [program];
    for (const word of programs) {
      const fp = await resolveProgram(word, cwd, this.input.pathDirs);
      if (!fp) {
        this.refuse('not-found', `${word}: command not found`);
        return planned;
      }
      planned.programs.push(word);
      planned.binaries.push(fp);
    }
    await this.planRedirects(c.redirects, planned);
    const result = await matchRules(
      {
        execArgv: planned.argv,
        effective: planned.effective,
        binaries: planned.binaries,
        refusedWrapper: !unwrapped.ok,
      },
      this.input.rules,
      this.input.agentId,
      (p) => this.resolveRule(p),
    );
    if (result.matched) planned.matched = result.rule.label;
    else if (unwrapped.ok) this.miss(result.code, result.detail, planned.argv);
    else this.miss('wrapper', `${unwrapped.detail} runs other programs`, planned.argv);
    return planned;
  }

  private needsShell(code: MissCode, detail: string, argv: string[]): void {
    this.miss(code, detail, argv);
    this.out.static = false;
  }

  private resolveRule(program: string): Promise<BinaryFingerprint | undefined> {
    let hit = this.ruleCache.get(program);
    if (!hit) {
      hit = resolveProgram(program, '/', this.input.pathDirs);
      this.ruleCache.set(program, hit);
    }
    return hit;
  }

  private async planCd(c: SimpleCommand, planned: PlannedCommand, pipelineLength: number) {
    planned.builtin = 'cd';
    const target = c.argv[1];
    if (c.argv.length !== 2 || target === undefined || target === '-' || pipelineLength > 1) {
      this.needsShell('builtin', 'cd takes one directory here', c.argv);
      return planned;
    }
    if (c.redirects.length > 0) this.needsShell('builtin', 'cd with a redirection', c.argv);
    const dir = await fingerprintDir(resolve(planned.cwd, target));
    if (!dir) {
      this.refuse('not-found', `cd: ${target}: no such directory`);
      return planned;
    }
    if (!isInside(dir.path, this.input.workspaceDir)) this.miss('cwd-outside-workspace', dir.path, c.argv);
    planned.cwd = dir.path;
    return planned;
  }

  private async planRedirects(redirects: readonly Redirect[], planned: PlannedCommand): Promise<void> {
    for (const r of redirects) {
      if (r.op === '<<' || r.op === '<<-') planned.redirects.push({ fd: r.fd, kind: 'data', data: r.target });
      else if (r.op === '<<<') planned.redirects.push({ fd: r.fd, kind: 'data', data: `${r.target}\n` });
      else if (r.op === '>&' || r.op === '<&')
        planned.redirects.push({ fd: r.fd, kind: 'dup', from: Number(r.target) });
      else if (r.op === '<') {
        const path = resolve(planned.cwd, r.target);
        if (this.input.sandboxAccess === 'none' && path !== '/dev/null') {
          this.miss('redirect-outside-workspace', `${r.target} (the sandbox has no workspace)`, planned.argv);
        }
        planned.redirects.push({ fd: r.fd, kind: 'read', path });
      } else {
        const path = await this.writeTarget(planned, r.target);
        const kind = r.op === '>>' || r.op === '&>>' ? 'append' : 'write';
        planned.redirects.push({ fd: r.fd, kind, path });
        if (r.op === '&>' || r.op === '&>>') planned.redirects.push({ fd: 2, kind: 'dup', from: 1 });
      }
    }
  }

  /** Real path a write would land on; a miss when it is outside the (writable) workspace. */
  private async writeTarget(planned: PlannedCommand, target: string): Promise<string> {
    const abs = resolve(planned.cwd, target);
    if (abs === '/dev/null') return abs;
    const real = await realTarget(abs);
    if (this.input.sandboxAccess === 'ro' || this.input.sandboxAccess === 'none') {
      this.miss(
        'redirect-outside-workspace',
        `${target} (the sandbox cannot write the workspace)`,
        planned.argv,
      );
    } else if (!isInside(real, this.input.workspaceDir)) {
      this.miss('redirect-outside-workspace', `${target} → ${real}`, planned.argv);
    } else if (insideGitDir(this.input.workspaceDir, real)) {
      // .git/config and hooks decide what an allowlisted `git status` runs: writing them needs an operator.
      this.miss('redirect-git-dir', `${target} → ${real} (git's config and hooks)`, planned.argv);
    }
    return real;
  }
}

/** True when `real` (inside `workspaceDir`) has a `.git` component below the workspace. */
function insideGitDir(workspaceDir: string, real: string): boolean {
  return relative(workspaceDir, real)
    .split(sep)
    .some((part) => part.toLowerCase() === '.git');
}

/**
 * Real path of `abs`; when it does not exist, of its parent plus its name — following a dangling
 * symlink to where it points (a write through it would create the file there).
 */
async function realTarget(abs: string, depth = 0): Promise<string> {
  try {
    return await realpath(abs);
  } catch {
    try {
      const st = await lstat(abs);
      if (st.isSymbolicLink()) {
        if (depth >= 16) return '/';
        return realTarget(resolve(dirname(abs), await readlink(abs)), depth + 1);
      }
    } catch {
      // does not exist: a new file in its parent
    }
    try {
      return join(await realpath(dirname(abs)), basename(abs));
    } catch {
      return abs;
    }
  }
}
