import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Carapace package: its folder and the fields of its package.json that ops reads. */
export interface CarapacePackage {
  dir: string;
  engines?: string;
}

/**
 * The package.json named "carapace" above `from` (this module, in src/ or in the dist bundle), or
 * undefined when there is none.
 */
export async function findCarapacePackage(
  from: string = fileURLToPath(import.meta.url),
): Promise<CarapacePackage | undefined> {
  let dir = dirname(from);
  for (;;) {
    try {
      const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
        name?: unknown;
        engines?: { node?: unknown };
      };
      if (pkg.name === 'carapace') {
        return typeof pkg.engines?.node === 'string' ? { dir, engines: pkg.engines.node } : { dir };
      }
    } catch {
      // no (readable) package.json here: keep walking up
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** The absolute path of the built CLI entry (`<package>/dist/cli/main.js`), or undefined. */
export async function carapaceCliPath(from?: string): Promise<string | undefined> {
  const pkg = await findCarapacePackage(from);
  return pkg ? join(pkg.dir, 'dist', 'cli', 'main.js') : undefined;
}
