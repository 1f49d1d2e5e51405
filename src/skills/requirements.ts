import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { SkillRequirements } from './types.js';

/** What eligibility is checked against. All of it is passed in: nothing here reads the process. */
export interface EligibilityContext {
  /** The environment of the agent's tools (for `env` and `PATH`). */
  env: Readonly<Record<string, string | undefined>>;
  /** `process.platform` of the host. */
  platform: string;
  /** The loaded config (for `config` keys). */
  config: unknown;
  /** Is an executable of this name on PATH? */
  hasBin(name: string): Promise<boolean>;
}

const OS_ALIASES: Readonly<Record<string, string>> = {
  macos: 'darwin',
  mac: 'darwin',
  osx: 'darwin',
  windows: 'win32',
  win: 'win32',
};

/** A dotted config path (`tools.web.search.apiKey`, `agents.list[0].id`) resolved in `config`. */
export function configValue(config: unknown, path: string): unknown {
  let cur: unknown = config;
  for (const part of path.split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== '')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function isSet(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

/**
 * Check a skill's requirements. Every unmet one gives a reason (`binary 'gh' is not on PATH`); the skill
 * is eligible when there are none. `anyBins` needs at least one of its binaries; `config` keys must hold a
 * value other than false, empty or unset; `os` lists platforms (`linux`, `darwin`/`macos`, `win32`/`windows`).
 */
export async function checkRequirements(req: SkillRequirements, ctx: EligibilityContext): Promise<string[]> {
  const reasons: string[] = [];
  if (req.os?.length) {
    const wanted = req.os.map((o) => OS_ALIASES[o.toLowerCase()] ?? o.toLowerCase());
    if (!wanted.includes(ctx.platform)) {
      reasons.push(`needs os ${req.os.join(' or ')} (this host is ${ctx.platform})`);
    }
  }
  for (const bin of req.bins ?? []) {
    if (!(await ctx.hasBin(bin))) reasons.push(`binary '${bin}' is not on PATH`);
  }
  if (req.anyBins?.length) {
    const found = await Promise.all(req.anyBins.map((b) => ctx.hasBin(b)));
    if (!found.some(Boolean)) reasons.push(`none of the binaries ${req.anyBins.join(', ')} is on PATH`);
  }
  for (const name of req.env ?? []) {
    if (!ctx.env[name]) reasons.push(`environment variable ${name} is not set`);
  }
  for (const key of req.config ?? []) {
    if (!isSet(configValue(ctx.config, key))) reasons.push(`config ${key} is not set`);
  }
  return reasons;
}

/**
 * A PATH lookup over the given environment, remembering answers for the lookup's lifetime (one listing).
 * On Windows the PATHEXT extensions are tried too.
 */
export function createBinLookup(
  env: Readonly<Record<string, string | undefined>>,
  platform: string,
): (name: string) => Promise<boolean> {
  const dirs = (env.PATH ?? env.Path ?? '').split(delimiter).filter(Boolean);
  const exts = platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';')] : [''];
  const seen = new Map<string, Promise<boolean>>();
  const probe = async (name: string): Promise<boolean> => {
    for (const dir of dirs) {
      for (const ext of exts) {
        const file = join(dir, name + ext);
        try {
          if (!(await stat(file)).isFile()) continue;
          await access(file, constants.X_OK);
          return true;
        } catch {
          // not here; try the next directory
        }
      }
    }
    return false;
  };
  return (name) => {
    let hit = seen.get(name);
    if (!hit) {
      hit = probe(name);
      seen.set(name, hit);
    }
    return hit;
  };
}
