import { createHash } from 'node:crypto';
import { readFile, realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { ToolOutput } from '../agent/index.js';
import { BoundedMap } from '../shared/index.js';
import { isInside } from './approvals/index.js';
import { parsePatch } from './patch-parse.js';
import { UNTRUSTED_OPEN } from './untrusted.js';

/**
 * The taint of one run: the first untrusted things it read. Once tainted, a run stays tainted; the
 * consequential actions it attempts after that need an operator's approval (SECURITY-TESTS default 4).
 */
export class TurnTaint {
  readonly #sources: string[] = [];

  /** Record that the run read untrusted content (`source` says what, e.g. "a web page (web_fetch …)"). */
  mark(source: string): void {
    if (this.#sources.length < 8 && !this.#sources.includes(source)) this.#sources.push(source);
  }

  get tainted(): boolean {
    return this.#sources.length > 0;
  }

  /** What tainted the run, for approval prompts and refusals ("it read a web page (…)"). */
  get reason(): string {
    const more = this.#sources.length > 1 ? ` and ${this.#sources.length - 1} more` : '';
    return this.#sources.length === 0 ? 'nothing' : `${this.#sources[0]}${more}`;
  }

  get sources(): readonly string[] {
    return this.#sources;
  }
}

/** Files at the workspace root that go into every system prompt: the agent's standing instructions. */
export const INSTRUCTION_FILES: readonly string[] = [
  'AGENTS.md',
  'SOUL.md',
  'USER.md',
  'IDENTITY.md',
  'TOOLS.md',
  'MEMORY.md',
  'HEARTBEAT.md',
  'BOOTSTRAP.md',
];

/** Tools whose output is outside content whatever it says: program output, other sessions, the web. */
const UNTRUSTED_OUTPUT: Readonly<Record<string, string>> = {
  web_fetch: 'a web page',
  web_search: 'web search results',
  exec: 'program output',
  process: 'program output',
  sessions_history: "another session's transcript",
  sessions_send: "another session's reply",
  sessions_spawn: "a sub-agent's reply",
};

/** Tools that return the contents of workspace files (untrusted unless the agent wrote them). */
const FILE_CONTENT_TOOLS = new Set(['read', 'memory_get', 'grep', 'memory_search']);

/** Tools that change files in the workspace (their targets, and what the agent authored). */
const FILE_WRITE_TOOLS = new Set(['write', 'edit', 'apply_patch']);

function short(value: unknown, max = 120): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? '');
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** The text of a tool output as the model will see it. */
export function outputText(output: ToolOutput): string {
  return typeof output.content === 'string' ? output.content : JSON.stringify(output.content);
}

/** True when `text` carries content wrapped by `wrapUntrusted` (web pages, webhooks, other sessions …). */
export function hasUntrustedMarker(text: string): boolean {
  return text.includes(UNTRUSTED_OPEN);
}

/**
 * The real path `path` (relative to `root`, or absolute) names, resolving symlinks of every existing
 * ancestor: the file a write would reach, even when it does not exist yet.
 */
export async function realTarget(root: string, path: string): Promise<string> {
  const abs = resolve(root, path);
  let dir = abs;
  const rest: string[] = [];
  for (;;) {
    try {
      return join(await realpath(dir), ...rest);
    } catch {
      const up = dirname(dir);
      if (up === dir) return abs;
      rest.unshift(basename(dir));
      dir = up;
    }
  }
}

async function fileHash(path: string): Promise<string | undefined> {
  try {
    return createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
  } catch {
    return undefined;
  }
}

/**
 * Which workspace files the agent itself wrote, by real path and content hash, in turns that had read
 * nothing untrusted. Reading such a file does not taint a turn; reading anything else does. Bounded
 * (oldest forgotten first); in memory only, so after a restart every file counts as not written by it.
 */
export class AuthoredFiles {
  readonly #files: BoundedMap<string, string>;
  constructor(max = 5000) {
    this.#files = new BoundedMap(max);
  }

  /** Record the current content of `real` as the agent's own. */
  async record(real: string): Promise<void> {
    const hash = await fileHash(real);
    if (hash === undefined) this.#files.delete(real);
    else this.#files.set(real, hash);
  }

  /** Forget `real`: someone else's words are in it now. */
  forget(real: string): void {
    this.#files.delete(real);
  }

  /** True when `real` holds exactly what the agent last wrote there. */
  async authored(real: string): Promise<boolean> {
    const known = this.#files.get(real);
    return known !== undefined && known === (await fileHash(real));
  }
}

/** A file a tool call writes: its workspace-relative path, and whether the call writes all of its text. */
export interface WrittenFile {
  path: string;
  whole: boolean;
}

/** The files a tool call writes (write/edit: `path`; apply_patch: every file operation of the patch). */
export function writeTargets(name: string, args: Record<string, unknown>): WrittenFile[] {
  if (!FILE_WRITE_TOOLS.has(name)) return [];
  if (name === 'apply_patch') {
    try {
      return parsePatch(String(args.patch ?? '')).map((op) => ({ path: op.path, whole: op.kind === 'add' }));
    } catch {
      return [];
    }
  }
  return typeof args.path === 'string' ? [{ path: args.path, whole: name === 'write' }] : [];
}

/** What a workspace-relative file is to the agent, when changing it is more than editing a file. */
function specialTarget(workspace: string, real: string): string | undefined {
  if (!isInside(real, workspace)) return `a write outside the workspace (${real})`;
  const rel = real.slice(workspace.length + 1);
  if (rel === 'skills' || rel.startsWith('skills/')) return `a skill install (${rel})`;
  if (INSTRUCTION_FILES.includes(rel)) return `a change to the agent's standing instructions (${rel})`;
  return undefined;
}

/** What the gateway knows that decides whether a call is consequential. */
export interface ConsequenceContext {
  /** The agent workspace (real path). */
  workspace: string;
  /** True when the agent has talked with this recipient before (or an operator approved them). */
  knownRecipient(agentId: string, to: { channel: string; to: string; accountId?: string }): Promise<boolean>;
  agentId: string;
}

/** Tools that change configuration or install code when some later issue adds them: always consequential. */
const ALWAYS_CONSEQUENTIAL: Readonly<Record<string, string>> = {
  config: 'a configuration change',
  gateway: 'a configuration change',
  skills_install: 'a skill install',
  skill_install: 'a skill install',
};

/**
 * The consequential action a call would take, or undefined for an ordinary one: a write outside the
 * workspace, into `skills/` (an install) or to the standing-instruction files, a message to a new
 * recipient, a new scheduled job, a configuration change. Exec outside the allowlist is decided by the
 * exec tool itself (a tainted turn never runs `full`).
 */
export async function consequentialAction(
  name: string,
  args: Record<string, unknown>,
  ctx: ConsequenceContext,
): Promise<string | undefined> {
  const fixed = ALWAYS_CONSEQUENTIAL[name];
  if (fixed) return fixed;
  if (FILE_WRITE_TOOLS.has(name)) {
    for (const t of writeTargets(name, args)) {
      const special = specialTarget(ctx.workspace, await realTarget(ctx.workspace, t.path));
      if (special) return special;
    }
    return undefined;
  }
  if (name === 'message') {
    const to = {
      channel: String(args.channel ?? ''),
      to: String(args.to ?? ''),
      ...(typeof args.accountId === 'string' ? { accountId: args.accountId } : {}),
    };
    if (await ctx.knownRecipient(ctx.agentId, to)) return undefined;
    return `a message to a new recipient (${short(to.channel, 40)}:${short(to.to, 80)})`;
  }
  if (name === 'cron' && args.action === 'add') {
    const what = args.task ?? args.text ?? '';
    return `a new scheduled job (${short(what, 80)})`;
  }
  return undefined;
}

/**
 * What untrusted content a finished tool call brought into the run, or undefined when it brought none:
 * web pages and search results, program output, other sessions' text, anything wrapped as untrusted, and
 * workspace files the agent did not write itself (the standing-instruction files excepted: they are in
 * the system prompt already). Refused and failed calls bring nothing.
 */
export async function untrustedSource(
  name: string,
  args: Record<string, unknown>,
  output: ToolOutput,
  ctx: { workspace: string; authored: AuthoredFiles },
): Promise<string | undefined> {
  const text = outputText(output);
  if (hasUntrustedMarker(text)) return `${UNTRUSTED_OUTPUT[name] ?? 'external content'} (${name})`;
  if (output.isError) return undefined;
  const fixed = UNTRUSTED_OUTPUT[name];
  if (fixed) {
    const detail = name === 'exec' ? short(args.command, 80) : short(args.url ?? args.query ?? '', 80);
    return detail ? `${fixed} (${name} ${detail})` : `${fixed} (${name})`;
  }
  if (!FILE_CONTENT_TOOLS.has(name)) return undefined;
  const paths =
    name === 'memory_search'
      ? memoryHitPaths(output)
      : name === 'grep'
        ? undefined
        : typeof args.path === 'string'
          ? [args.path]
          : undefined;
  // grep returns lines of any number of files: unless it found nothing, count it as untrusted.
  if (paths === undefined) return text.startsWith('No matches for ') ? undefined : `file contents (${name})`;
  for (const p of paths) {
    const real = await realTarget(ctx.workspace, p);
    const rel = isInside(real, ctx.workspace) ? real.slice(ctx.workspace.length + 1) : real;
    if (INSTRUCTION_FILES.includes(rel)) continue;
    if (!(await ctx.authored.authored(real))) return `a file the agent did not write (${short(rel, 100)})`;
  }
  return undefined;
}

function memoryHitPaths(output: ToolOutput): string[] {
  const content = output.content as { results?: { path?: unknown }[] };
  const hits = Array.isArray(content?.results) ? content.results : [];
  return hits.flatMap((h) => (typeof h.path === 'string' ? [h.path] : []));
}
