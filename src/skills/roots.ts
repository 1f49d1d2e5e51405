import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SkillRoot } from './types.js';

/** The settings `skillRoots` needs (the `skills` config section fits). */
export interface SkillRootsInput {
  workspaceDir: string;
  /** `<stateDir>/skills` (StatePaths.skillsDir). */
  managedDir: string;
  /** The bundled skills folder (see `findBundledSkillsDir`); left out when undefined or `bundled` is false. */
  bundledDir?: string | undefined;
  bundled?: boolean;
  extraDirs?: readonly string[];
}

/** The folders of skills for one agent, in precedence order: workspace > managed > bundled > extra. */
export function skillRoots(input: SkillRootsInput): SkillRoot[] {
  const roots: SkillRoot[] = [
    { dir: join(input.workspaceDir, 'skills'), source: 'workspace' },
    { dir: input.managedDir, source: 'managed' },
  ];
  if (input.bundledDir && input.bundled !== false) roots.push({ dir: input.bundledDir, source: 'bundled' });
  for (const dir of input.extraDirs ?? []) roots.push({ dir: resolve(dir), source: 'extra' });
  return roots;
}

/**
 * The `skills/` folder at the root of the Carapace package: found by walking up from `from` (this module,
 * in src/ or in the dist bundle) to the package.json named "carapace". Undefined when there is none.
 */
export async function findBundledSkillsDir(
  from: string | URL = import.meta.url,
): Promise<string | undefined> {
  let dir = dirname(typeof from === 'string' && !from.startsWith('file:') ? from : fileURLToPath(from));
  for (;;) {
    try {
      const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { name?: unknown };
      if (pkg.name === 'carapace') {
        const skills = join(dir, 'skills');
        return (await stat(skills)).isDirectory() ? skills : undefined;
      }
    } catch {
      // no (readable) package.json here: keep walking up
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}
