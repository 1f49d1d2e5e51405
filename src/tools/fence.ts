import { lstat, mkdir, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CarapaceError, errnoCode } from '../shared/index.js';

/** Longest path text a file tool accepts. */
export const MAX_PATH_CHARS = 4096;

/** A path checked by the fence: `display` is what tools show the model (relative to the workspace). */
export interface FencedPath {
  /** The real path on disk (all symlinks of existing components resolved). */
  real: string;
  /** How tools name the path in results: relative to the workspace when inside it. */
  display: string;
}

/** A write target: its parent exists (real path checked) and the target is no symlink and no hard link. */
export interface WriteTarget extends FencedPath {
  parent: string;
  name: string;
  /** Mode bits of the existing file, if there is one. */
  existingMode: number | undefined;
}

/**
 * The workspace fence every file tool goes through. With `workspaceOnly` (the default) a path must stay
 * inside `root` lexically and after resolving symlinks; control, invisible and bidi characters,
 * backslashes, percent-encoded separators and dots, `~`, URLs, drive letters and ambiguous dot segments
 * are refused everywhere. Writes never land under a `.git` component (see PROTECTED_DIR_NAMES). Errors are
 * CarapaceErrors: PATH_INVALID, PATH_OUTSIDE_WORKSPACE, PATH_NOT_FOUND, PATH_SYMLINK, PATH_HARDLINK,
 * PATH_IS_DIRECTORY, PATH_PROTECTED.
 */
export interface WorkspaceFence {
  readonly root: string;
  readonly workspaceOnly: boolean;
  /** The real path of the workspace (throws if it does not exist). */
  realRoot(): Promise<string>;
  /** True when a real path lies inside the real workspace (always true without workspaceOnly). */
  contains(realRoot: string, real: string): boolean;
  /** Resolve an existing file or directory for reading. */
  resolveExisting(path: string): Promise<FencedPath>;
  /** Resolve a file to write: parents are created inside the workspace when `createParents`. */
  resolveForWrite(path: string, options?: { createParents?: boolean }): Promise<WriteTarget>;
  /** The display form of a real path. */
  display(realRoot: string, real: string): string;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const INVISIBLE = /[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/;
const ENCODED = /%(?:2e|2f|5c|25|00|[01][0-9a-f]|7f|c0|c1|e0|f0)/i;

function invalid(message: string, path: string): CarapaceError {
  return new CarapaceError('PATH_INVALID', message, { details: { path: path.slice(0, 200) } });
}

function codePoint(ch: string): string {
  return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Refuse path texts that are never legitimate workspace paths, before touching the disk. */
export function checkPathText(path: string): void {
  if (path.length === 0) throw invalid('path is empty', path);
  if (path.length > MAX_PATH_CHARS) {
    throw invalid(`path is too long (${path.length} characters; the limit is ${MAX_PATH_CHARS})`, path);
  }
  const control = CONTROL.exec(path);
  if (control) throw invalid(`path contains a control character (${codePoint(control[0])})`, path);
  const hidden = INVISIBLE.exec(path);
  if (hidden) {
    throw invalid(
      `path contains an invisible or bidirectional formatting character (${codePoint(hidden[0])})`,
      path,
    );
  }
  if (path.includes('\\')) throw invalid("path contains a backslash; use '/' to separate directories", path);
  if (ENCODED.test(path)) {
    throw invalid(
      "path contains a percent-encoded '.', '/', '\\', '%' or control character; paths are not URL-decoded, write them plainly",
      path,
    );
  }
  if (path.startsWith('~'))
    throw invalid("'~' paths are not supported; paths are relative to the workspace", path);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) throw invalid('a URL is not a file path', path);
  if (/^[a-z]:/i.test(path)) throw invalid('drive-letter paths are not supported', path);
  for (const segment of path.split('/')) {
    if (segment !== '.' && segment !== '..' && /^[.\s]+$/.test(segment) && segment.includes('.')) {
      throw invalid(`path has an ambiguous dot segment '${segment}'`, path);
    }
  }
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * Path components file tools never write under (compared case-insensitively). `.git` holds the
 * repository's config and hooks: a `core.fsmonitor`, `diff.external` or hook written there would make an
 * allowlisted `git status` / `git diff` run any command. A file named `.git` (a `gitdir:` pointer) counts too.
 */
export const PROTECTED_DIR_NAMES: readonly string[] = ['.git'];

/** The protected component of `path` (relative to `root` when inside it), or undefined. */
export function protectedComponent(root: string, path: string): string | undefined {
  const rel = isInside(root, path) ? relative(root, path) : path;
  return rel.split(sep).find((part) => PROTECTED_DIR_NAMES.includes(part.toLowerCase()));
}

function refuseProtected(root: string, real: string, path: string): void {
  const part = protectedComponent(root, real);
  if (part === undefined) return;
  throw new CarapaceError(
    'PATH_PROTECTED',
    `refusing to write '${path.slice(0, 200)}': file tools never change anything under '${part}' (git's config and hooks there decide what git commands run)`,
    { details: { path: path.slice(0, 200), component: part } },
  );
}

function outside(path: string): CarapaceError {
  return new CarapaceError(
    'PATH_OUTSIDE_WORKSPACE',
    `path '${path.slice(0, 200)}' is outside the workspace; file tools only reach files inside it (tools.fs.workspaceOnly)`,
    { details: { path: path.slice(0, 200) } },
  );
}

function notFound(path: string): CarapaceError {
  return new CarapaceError('PATH_NOT_FOUND', `'${path.slice(0, 200)}' does not exist`, {
    details: { path: path.slice(0, 200) },
  });
}

/** Create the fence for one workspace directory. */
export function createWorkspaceFence(
  workspaceDir: string,
  options: { workspaceOnly?: boolean } = {},
): WorkspaceFence {
  const root = resolve(workspaceDir);
  const workspaceOnly = options.workspaceOnly ?? true;

  async function realRoot(): Promise<string> {
    try {
      return await realpath(root);
    } catch (err) {
      throw new CarapaceError('WORKSPACE_MISSING', `the workspace directory ${root} does not exist`, {
        details: { root },
        cause: err,
      });
    }
  }

  function contains(real: string, path: string): boolean {
    return !workspaceOnly || isInside(real, path);
  }

  function display(real: string, path: string): string {
    if (!isInside(real, path)) return path;
    return relative(real, path) || '.';
  }

  /** The lexical absolute path, re-rooted on the real root when it was given through the root's alias. */
  function lexical(path: string, real: string): string {
    checkPathText(path);
    const abs = resolve(real, path);
    if (isInside(real, abs)) return abs;
    const viaAlias = resolve(root, path);
    if (isInside(root, viaAlias)) return join(real, relative(root, viaAlias));
    if (workspaceOnly) throw outside(path);
    return abs;
  }

  async function resolveExisting(path: string): Promise<FencedPath> {
    const rr = await realRoot();
    const abs = lexical(path, rr);
    let real: string;
    try {
      real = await realpath(abs);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        // A dangling symlink that points outside must read as "outside", not as "missing".
        await refuseEscapingLink(abs, rr, path);
        throw notFound(path);
      }
      if (code === 'ELOOP') throw invalid(`'${path}' is a symlink loop`, path);
      if (code === 'ENAMETOOLONG') throw invalid('path is too long for the file system', path);
      throw err;
    }
    if (!contains(rr, real)) throw outside(path);
    return { real, display: display(rr, real) };
  }

  async function refuseEscapingLink(abs: string, rr: string, path: string): Promise<void> {
    try {
      const parentReal = await realpath(dirname(abs));
      if (!contains(rr, parentReal)) throw outside(path);
      const st = await lstat(join(parentReal, basename(abs)));
      if (st.isSymbolicLink()) {
        throw new CarapaceError('PATH_SYMLINK', `'${path}' is a symbolic link whose target does not exist`, {
          details: { path },
        });
      }
    } catch (err) {
      if (err instanceof CarapaceError) throw err;
    }
  }

  async function resolveForWrite(path: string, opts: { createParents?: boolean } = {}): Promise<WriteTarget> {
    const rr = await realRoot();
    const abs = lexical(path, rr);
    if (abs === rr)
      throw new CarapaceError('PATH_IS_DIRECTORY', `'${path}' is a directory`, { details: { path } });
    refuseProtected(rr, abs, path);
    const parent = await realParent(dirname(abs), rr, path, opts.createParents ?? false);
    const name = basename(abs);
    const real = join(parent, name);
    refuseProtected(rr, real, path);
    let existingMode: number | undefined;
    try {
      const st = await lstat(real);
      if (st.isSymbolicLink()) {
        throw new CarapaceError(
          'PATH_SYMLINK',
          `refusing to write through the symbolic link '${path}'; write to the file it points to instead`,
          { details: { path } },
        );
      }
      if (st.isDirectory()) {
        throw new CarapaceError('PATH_IS_DIRECTORY', `'${path}' is a directory`, { details: { path } });
      }
      if (!st.isFile()) throw invalid(`'${path}' is not a regular file`, path);
      if (st.nlink > 1) throw hardlink(path, st.nlink);
      existingMode = st.mode & 0o7777;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    return { real, display: display(rr, real), parent, name, existingMode };
  }

  /** The real path of a target's parent, checked inside, optionally created one component at a time. */
  async function realParent(dir: string, rr: string, path: string, create: boolean): Promise<string> {
    const missing: string[] = [];
    let cur = dir;
    let real: string | undefined;
    while (real === undefined) {
      try {
        real = await realpath(cur);
      } catch (err) {
        const code = errnoCode(err);
        if (code !== 'ENOENT') {
          if (code === 'ENOTDIR') throw invalid(`a parent of '${path}' is not a directory`, path);
          if (code === 'ELOOP') throw invalid(`a parent of '${path}' is a symlink loop`, path);
          throw err;
        }
        await refuseEscapingLink(cur, rr, path);
        missing.unshift(basename(cur));
        const up = dirname(cur);
        if (up === cur) throw notFound(path);
        cur = up;
      }
    }
    if (!contains(rr, real)) throw outside(path);
    // Through a symlink, the existing part may lie under .git although the path text does not say so.
    refuseProtected(rr, join(real, ...missing), path);
    if (missing.length > 0 && !create) throw notFound(dirname(path));
    for (const part of missing) {
      const next = join(real, part);
      try {
        await mkdir(next);
      } catch (err) {
        if (errnoCode(err) !== 'EEXIST') throw err;
      }
      // Re-check what now stands there: it may have been created (or swapped) as a symlink meanwhile.
      real = await realpath(next);
      if (!contains(rr, real)) throw outside(path);
    }
    return real;
  }

  return { root, workspaceOnly, realRoot, contains, resolveExisting, resolveForWrite, display };
}

/** The error for a file with more than one hard link (its other names may lie outside the workspace). */
export function hardlink(path: string, links: number): CarapaceError {
  return new CarapaceError(
    'PATH_HARDLINK',
    `'${path.slice(0, 200)}' has ${links} hard links; file tools refuse hard-linked files because another link may lie outside the workspace`,
    { details: { path: path.slice(0, 200), links } },
  );
}
