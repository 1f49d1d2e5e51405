import { chmod, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../shared/index.js';
import type { FsRepair } from './findings.js';

/** What `lstat` says about one path (symlinks are not followed). */
export interface PathMode {
  path: string;
  isDir: boolean;
  isSymlink: boolean;
  /** Permission bits only (`0o644`). */
  mode: number;
  uid: number;
}

/** `0o644` → `0644`. */
export function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

/** The mode of `path`, or undefined when it does not exist. */
export async function statMode(path: string): Promise<PathMode | undefined> {
  try {
    const s = await lstat(path);
    return { path, isDir: s.isDirectory(), isSymlink: s.isSymbolicLink(), mode: s.mode & 0o777, uid: s.uid };
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** True when group or others have any access (read, write or search). */
export function openToOthers(mode: number): boolean {
  return (mode & 0o077) !== 0;
}

/** Who can do what, in words: `group and others can read it`. */
export function describeAccess(mode: number): string {
  const who: string[] = [];
  if (mode & 0o070) who.push('group');
  if (mode & 0o007) who.push('others');
  const can: string[] = [];
  if (mode & 0o044) can.push('read');
  if (mode & 0o022) can.push('write');
  if (!can.length && mode & 0o011) can.push('enter');
  return `${who.join(' and ')} can ${can.join(' and ')} it`;
}

/**
 * A repair that sets `path` to exactly `want` (only the mode changes: the old mode is reported so it can
 * be restored; the contents are untouched). Symlinks are refused rather than followed.
 */
export function chmodRepair(path: string, want: number): FsRepair {
  return {
    kind: 'fs',
    apply: async () => {
      const now = await statMode(path);
      if (!now) return `${path} is gone; nothing to do`;
      if (now.isSymlink) throw new Error(`${path} is a symlink; not following it`);
      await chmod(path, want);
      return `chmod ${octal(want).slice(1)} ${path} (was ${octal(now.mode)})`;
    },
  };
}

/** A repair that takes group and other access away from `path` (`chmod go-rwx`), keeping the owner's bits. */
export function tightenRepair(path: string): FsRepair {
  return {
    kind: 'fs',
    apply: async () => {
      const now = await statMode(path);
      if (!now) return `${path} is gone; nothing to do`;
      if (now.isSymlink) throw new Error(`${path} is a symlink; not following it`);
      await chmod(path, now.mode & 0o700);
      return `chmod go-rwx ${path} (was ${octal(now.mode)})`;
    },
  };
}

/**
 * Every file and folder under `root` (not `root` itself), depth first, without following symlinks and
 * without entering the folders in `skip`. Stops after `limit` entries (`truncated` says so).
 */
export async function walkTree(
  root: string,
  options: { skip?: ReadonlySet<string>; limit?: number } = {},
): Promise<{ entries: PathMode[]; truncated: boolean }> {
  const limit = options.limit ?? 20_000;
  const entries: PathMode[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names.sort()) {
      const path = join(dir, name);
      if (options.skip?.has(path)) continue;
      const m = await statMode(path).catch(() => undefined);
      if (!m) continue;
      if (entries.length >= limit) return { entries, truncated: true };
      entries.push(m);
      if (m.isDir && !m.isSymlink) stack.push(path);
    }
  }
  return { entries, truncated: false };
}
