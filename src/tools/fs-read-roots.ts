import { isAbsolute, relative, resolve, sep } from 'node:path';
import { CarapaceError, isCarapaceError } from '../shared/index.js';
import { createWorkspaceFence, type FencedPath, type WorkspaceFence } from './fence.js';

/**
 * Folders outside the workspace that `read` may open, read-only (the folders of the skills the system
 * prompt lists). Asked only when a path falls outside the workspace, so it can follow the disk.
 */
export type ReadOnlyRoots = () => Promise<readonly string[]>;

/** A path `read` may open and the fence that checked it (the workspace's or a read-only root's). */
export interface ReadablePath {
  fence: WorkspaceFence;
  path: FencedPath;
}

/** Resolves paths for `read`: the workspace first, then absolute paths inside one read-only root. */
export interface ReadResolver {
  /** True when there are read-only roots at all (the tool's description mentions them). */
  readonly hasRoots: boolean;
  resolve(path: string): Promise<ReadablePath>;
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * A resolver over the workspace fence and `roots`. A path the workspace fence refuses as outside may still
 * be read when it is absolute and lies, lexically after `..` is applied, inside one of the roots; that root
 * then gets the same fence as the workspace (real path inside it after symlinks, no hard links, O_NOFOLLOW
 * with the descriptor checked). Nothing here writes: write, edit and the rest keep the workspace fence.
 */
export function createReadResolver(workspace: WorkspaceFence, roots?: ReadOnlyRoots): ReadResolver {
  return {
    hasRoots: roots !== undefined,
    async resolve(path) {
      try {
        return { fence: workspace, path: await workspace.resolveExisting(path) };
      } catch (err) {
        if (!roots || !isAbsolute(path) || !isCarapaceError(err, 'PATH_OUTSIDE_WORKSPACE')) throw err;
        const target = resolve(path);
        const dirs = await roots();
        const root = dirs.map((d) => resolve(d)).find((d) => isInside(d, target));
        if (root === undefined) {
          if (dirs.length === 0) throw err;
          throw new CarapaceError(
            'PATH_OUTSIDE_WORKSPACE',
            `path '${path.slice(0, 200)}' is outside the workspace and outside the skill folders listed in the system prompt; file tools only reach files inside them (tools.fs.workspaceOnly)`,
            { details: { path: path.slice(0, 200) } },
          );
        }
        const fence = createWorkspaceFence(root, { workspaceOnly: true });
        try {
          const found = await fence.resolveExisting(target);
          return { fence, path: { real: found.real, display: found.real } };
        } catch (inner) {
          if (!isCarapaceError(inner, 'PATH_OUTSIDE_WORKSPACE')) throw inner;
          throw new CarapaceError(
            'PATH_OUTSIDE_WORKSPACE',
            `path '${path.slice(0, 200)}' leads out of the skill folder ${root} (through a symbolic link); only files inside it can be read`,
            { details: { path: path.slice(0, 200), root } },
          );
        }
      }
    },
  };
}
