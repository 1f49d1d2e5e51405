import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../shared/index.js';

/** A memory file of a workspace: its path relative to the workspace (with `/`), and what stat said. */
export interface MemoryFile {
  path: string;
  abs: string;
  mtimeMs: number;
  size: number;
}

/** The curated long-term file, at the workspace root. */
export const MEMORY_FILE = 'MEMORY.md';
/** The folder of daily logs (`memory/YYYY-MM-DD.md`) and other notes. */
export const MEMORY_DIR = 'memory';
/** How deep folders under memory/ are followed. */
const MAX_DEPTH = 4;
/** Files larger than this are not indexed (they are not notes). */
export const MEMORY_FILE_MAX_BYTES = 5 * 1024 * 1024;

/** True for `MEMORY.md` and `memory/…/*.md` (a relative path with `/`, no dot segments). */
export function isMemoryPath(path: string): boolean {
  if (path === MEMORY_FILE) return true;
  const parts = path.split('/');
  return (
    parts.length >= 2 &&
    parts.length <= MAX_DEPTH + 1 &&
    parts[0] === MEMORY_DIR &&
    parts.every((p) => p !== '' && p !== '.' && p !== '..') &&
    path.toLowerCase().endsWith('.md')
  );
}

/** The daily log of a date: `memory/2025-03-04.md`. */
export function dailyLogPath(date: Date | string): string {
  const day = typeof date === 'string' ? date : date.toISOString().slice(0, 10);
  return `${MEMORY_DIR}/${day}.md`;
}

async function statFile(abs: string): Promise<{ mtimeMs: number; size: number } | undefined> {
  try {
    const st = await lstat(abs);
    // Symbolic links are not followed: a memory file must really live in the workspace.
    if (!st.isFile() || st.size > MEMORY_FILE_MAX_BYTES) return undefined;
    return { mtimeMs: st.mtimeMs, size: st.size };
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return undefined;
    throw err;
  }
}

async function walk(dir: string, rel: string, depth: number, out: MemoryFile[]): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return;
    throw err;
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith('.')) continue;
    const abs = join(dir, e.name);
    const path = `${rel}/${e.name}`;
    if (e.isDirectory() && depth < MAX_DEPTH) await walk(abs, path, depth + 1, out);
    else if (e.isFile() && e.name.toLowerCase().endsWith('.md')) {
      const st = await statFile(abs);
      if (st) out.push({ path, abs, ...st });
    }
  }
}

/** MEMORY.md and every Markdown file under memory/ (no symlinks, no dot files), sorted by path. */
export async function listMemoryFiles(workspaceDir: string): Promise<MemoryFile[]> {
  const out: MemoryFile[] = [];
  const top = join(workspaceDir, MEMORY_FILE);
  const st = await statFile(top);
  if (st) out.push({ path: MEMORY_FILE, abs: top, ...st });
  await walk(join(workspaceDir, MEMORY_DIR), MEMORY_DIR, 1, out);
  return out;
}
