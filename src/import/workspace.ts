import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join, relative } from 'node:path';
import { agentIdOf } from './config-agents.js';
import type { Reporter } from './report.js';
import { expandPath, isDirectory, type Json, listDir, obj, readText, str } from './source.js';

/** The workspace files OpenClaw injects into the context, plus its long-term memory. */
const KNOWN_FILES = [
  'AGENTS.md',
  'SOUL.md',
  'TOOLS.md',
  'IDENTITY.md',
  'USER.md',
  'HEARTBEAT.md',
  'BOOTSTRAP.md',
  'MEMORY.md',
  'memory.md',
];

/** Where one agent's OpenClaw workspace is, and whether Carapace should use it where it is. */
export interface WorkspacePlan {
  agentId: string;
  dir: string;
  /** Outside the OpenClaw state dir (a folder of the user's): referenced, not copied. */
  inPlace: boolean;
}

function outside(dir: string, root: string): boolean {
  const rel = relative(root, dir);
  return rel.startsWith('..') || isAbsolute(rel);
}

/**
 * Each agent's workspace by OpenClaw's rules: the entry's `workspace`; a sole agent uses
 * `agents.defaults.workspace` or `<state>/workspace`; in a roster the others use
 * `<agents.defaults.workspace>/<id>` or `<state>/workspace-<id>` (the default agent falls back to the
 * shared root when its own folder does not exist).
 */
export async function planWorkspaces(oc: Json, sourceDir: string, home: string): Promise<WorkspacePlan[]> {
  const agents = obj(oc.agents);
  const d = str(obj(agents?.defaults)?.workspace);
  const root = d ? expandPath(d, home, sourceDir) : undefined;
  const entries = (Array.isArray(agents?.list) ? agents.list : []).flatMap((v) => {
    const a = obj(v);
    const id = agentIdOf(a?.id);
    return a && id ? [{ id, workspace: str(a.workspace), isDefault: a.default === true }] : [];
  });
  if (entries.length === 0) entries.push({ id: 'main', workspace: undefined, isDefault: true });
  if (!entries.some((e) => e.isDefault)) entries[0]!.isDefault = true;
  const shared = root ?? join(sourceDir, 'workspace');
  const plans: WorkspacePlan[] = [];
  for (const e of entries) {
    let dir: string;
    if (e.workspace) dir = expandPath(e.workspace, home, sourceDir);
    else if (entries.length === 1) dir = shared;
    else {
      dir = root ? join(root, e.id) : join(sourceDir, `workspace-${e.id}`);
      if (e.isDefault && !(await isDirectory(dir))) dir = shared;
    }
    plans.push({ agentId: e.id, dir, inPlace: outside(dir, sourceDir) });
  }
  return plans;
}

/** `memory/**.md` under `dir`, as paths relative to it. */
async function memoryFiles(dir: string, sub = 'memory'): Promise<string[]> {
  const out: string[] = [];
  for (const e of await listDir(join(dir, sub))) {
    const rel = join(sub, e.name);
    if (e.dir) out.push(...(await memoryFiles(dir, rel)));
    else if (e.file && e.name.endsWith('.md')) out.push(rel);
  }
  return out;
}

/** `AGENTS.md` → `AGENTS.from-openclaw.md`: where a file that would clash is written instead. */
function besideName(path: string): string {
  const ext = extname(path);
  return `${path.slice(0, path.length - ext.length)}.from-openclaw${ext}`;
}

/**
 * Copy an agent's workspace files (the injected files, MEMORY.md and memory/*.md) into its Carapace
 * workspace. A file already there with other content is kept; the OpenClaw copy is written beside it as
 * `<name>.from-openclaw.md`. A workspace outside the OpenClaw dir is used in place (nothing copied).
 */
export async function importWorkspace(
  plan: WorkspacePlan,
  target: string,
  report: Reporter,
  dryRun: boolean,
): Promise<void> {
  const label = `agent '${plan.agentId}'`;
  if (plan.inPlace) {
    report.imported('workspace', label, `used in place: ${plan.dir} (agents.list workspace points at it)`);
    return;
  }
  if (!(await isDirectory(plan.dir))) {
    report.skipped('workspace', label, `no workspace at ${plan.dir}`);
    return;
  }
  const top = await listDir(plan.dir);
  const files = [
    ...top.filter((e) => e.file && KNOWN_FILES.includes(e.name)).map((e) => e.name),
    ...(await memoryFiles(plan.dir)),
  ];
  for (const rel of files) {
    const text = (await readText(join(plan.dir, rel))) ?? '';
    const dest = join(target, rel);
    const current = await readFile(dest, 'utf8').catch(() => undefined);
    if (current === text) {
      report.skipped('workspace', `${label} ${rel}`, `already in ${target}`);
      continue;
    }
    const path = current === undefined ? dest : besideName(dest);
    if (!dryRun) {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      await writeFile(path, text, { mode: 0o600 });
    }
    if (current === undefined) report.imported('workspace', `${label} ${rel}`, `→ ${dest}`);
    else
      report.changed(
        'workspace',
        `${label} ${rel}`,
        `${dest} exists with other content: the OpenClaw copy is ${path}; merge them by hand`,
      );
  }
  const left = top.filter(
    (e) => !KNOWN_FILES.includes(e.name) && e.name !== 'memory' && !e.name.startsWith('.'),
  );
  if (left.length > 0) {
    const names = left.slice(0, 5).map((e) => e.name + (e.dir ? '/' : ''));
    const more = left.length > 5 ? ` and ${left.length - 5} more` : '';
    report.skipped(
      'workspace',
      `${label} other files`,
      `left in ${plan.dir}: ${names.join(', ')}${more} (copy what you need)`,
    );
  }
}
