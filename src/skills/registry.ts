import { readdirSync, type Stats, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode, errorMessage } from '../shared/index.js';
import { createFrontmatterValidator, parseSkillFile } from './frontmatter.js';
import { checkRequirements, createBinLookup, type EligibilityContext } from './requirements.js';
import type { SkillDefinition, SkillIssue, SkillReport, SkillRoot, SkillsListing } from './types.js';

/** How long a PATH lookup's answers are reused: a binary installed later is seen within this time. */
const BIN_LOOKUP_TTL_MS = 30_000;

/** A SKILL.md larger than this is refused (it is meant to be read whole by the model). */
export const SKILL_FILE_MAX_BYTES = 256 * 1024;

/** What `list` checks skills against; `hasBin` defaults to a PATH lookup over `env`. */
export interface ListSkillsInput {
  /** Folders of skills in precedence order (see `skillRoots`). */
  roots: readonly SkillRoot[];
  env: Readonly<Record<string, string | undefined>>;
  config: unknown;
  platform: string;
  /** Names never offered (`skills.disabled`). */
  disabled?: readonly string[];
  hasBin?: EligibilityContext['hasBin'];
}

type Parsed = { skill: SkillDefinition } | { issue: SkillIssue };
interface CacheEntry {
  mtimeMs: number;
  size: number;
  parsed: Parsed;
}
/** The last listing and what it was made from: reused while none of it changed. */
interface Memo {
  stamp: string;
  env: ListSkillsInput['env'];
  config: unknown;
  platform: string;
  disabled: string;
  hasBin: EligibilityContext['hasBin'];
  listing: SkillsListing;
}

/**
 * Discovers skills: each folder `<root>/<name>/` with a SKILL.md is one. Every `list` stats the roots, the
 * folders in them and each SKILL.md, so skills added, edited or removed on disk show up on the next call
 * without a restart; a file is parsed again only when its mtime or size changed, and while no stat changed
 * (and the inputs are the same objects) the previous listing is returned as is (every turn lists skills).
 * A malformed SKILL.md becomes an issue (file, line, message) and only that skill is skipped. The directory
 * listings and the stats are synchronous (microseconds each on local folders, against a thread-pool round
 * trip apiece); only a changed SKILL.md is read asynchronously. A listing is shared: do not modify it.
 */
export class SkillsRegistry {
  readonly #cache = new Map<string, CacheEntry>();
  readonly #check = createFrontmatterValidator();
  /** PATH lookups by PATH, reused for BIN_LOOKUP_TTL_MS (every turn lists skills; binaries rarely come and go). */
  readonly #bins = new Map<string, { at: number; lookup: EligibilityContext['hasBin'] }>();
  /** The folder names each root held at its last listing (by root dir). */
  readonly #children = new Map<string, readonly string[]>();
  #memo: Memo | undefined;

  #binLookup(env: ListSkillsInput['env'], platform: string): EligibilityContext['hasBin'] {
    const key = `${platform}\u0000${env.PATH ?? env.Path ?? ''}\u0000${env.PATHEXT ?? ''}`;
    const now = performance.now();
    const hit = this.#bins.get(key);
    if (hit && now - hit.at < BIN_LOOKUP_TTL_MS) return hit.lookup;
    if (this.#bins.size >= 16) this.#bins.clear();
    const lookup = createBinLookup(env, platform);
    this.#bins.set(key, { at: now, lookup });
    return lookup;
  }

  /** Every skill of every root, eligible or not, with reasons, and the issues of skipped files. */
  async list(input: ListSkillsInput): Promise<SkillsListing> {
    const hasBin = input.hasBin ?? this.#binLookup(input.env, input.platform);
    const disabled = (input.disabled ?? []).join('\u0000');
    const stamp = this.#stamp(input.roots);
    const memo = this.#memo;
    if (
      memo &&
      memo.stamp === stamp &&
      memo.env === input.env &&
      memo.config === input.config &&
      memo.platform === input.platform &&
      memo.disabled === disabled &&
      memo.hasBin === hasBin
    )
      return memo.listing;
    const listing = await this.#list(input, hasBin);
    // Stamped before the scan: a change made while it ran makes the next call scan again.
    this.#memo = {
      stamp,
      env: input.env,
      config: input.config,
      platform: input.platform,
      disabled,
      hasBin,
      listing,
    };
    return listing;
  }

  /**
   * What the disk looks like to a listing: each root's mtime (a folder added or removed), then per folder
   * it held last time its SKILL.md's mtime and size (or that it has none).
   */
  #stamp(roots: readonly SkillRoot[]): string {
    let out = '';
    for (const root of roots) {
      const st = statSync(root.dir, { throwIfNoEntry: false });
      out += `${root.source}\u0000${root.dir}\u0000${st ? st.mtimeMs : '-'}\u0000`;
      if (!st) continue;
      for (const name of this.#children.get(root.dir) ?? []) {
        const file = statSync(join(root.dir, name, 'SKILL.md'), { throwIfNoEntry: false });
        out += file ? `${file.mtimeMs}:${file.size}|` : '-|';
      }
    }
    return out;
  }

  async #list(input: ListSkillsInput, hasBin: EligibilityContext['hasBin']): Promise<SkillsListing> {
    const seen = new Set<string>();
    const found: Parsed[] = [];
    for (const root of input.roots) {
      for (const parsed of await this.#scanRoot(root, seen)) found.push(parsed);
    }
    for (const file of this.#cache.keys()) if (!seen.has(file)) this.#cache.delete(file);
    const ctx: EligibilityContext = {
      env: input.env,
      config: input.config,
      platform: input.platform,
      hasBin,
    };
    const disabled = new Set(input.disabled ?? []);
    const winners = new Map<string, SkillDefinition>();
    const skills: SkillReport[] = [];
    const issues: SkillIssue[] = [];
    for (const p of found) {
      if ('issue' in p) {
        issues.push(p.issue);
        continue;
      }
      const skill = p.skill;
      const winner = winners.get(skill.name);
      if (winner) {
        skills.push({
          ...skill,
          eligible: false,
          reasons: [`shadowed by the ${winner.source} skill ${winner.file}`],
          shadowedBy: winner.file,
        });
        continue;
      }
      winners.set(skill.name, skill);
      const reasons = disabled.has(skill.name)
        ? ['disabled by skills.disabled']
        : await checkRequirements(skill.requires, ctx);
      skills.push({ ...skill, eligible: reasons.length === 0, reasons });
    }
    return { skills, issues };
  }

  async #scanRoot(root: SkillRoot, seen: Set<string>): Promise<Parsed[]> {
    let names: string[];
    this.#children.delete(root.dir);
    try {
      names = readdirSync(root.dir)
        .filter((n) => !n.startsWith('.'))
        .sort();
      this.#children.set(root.dir, names);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      return [
        {
          issue: {
            file: root.dir,
            line: 0,
            message: `cannot read: ${errorMessage(err)}`,
            source: root.source,
          },
        },
      ];
    }
    const out: Parsed[] = [];
    for (const name of names) {
      const dir = join(root.dir, name);
      const file = join(dir, 'SKILL.md');
      let st: Stats;
      try {
        st = statSync(file);
      } catch {
        continue; // not a skill folder (or no SKILL.md yet)
      }
      if (!st.isFile()) continue;
      seen.add(file);
      const cached = this.#cache.get(file);
      if (cached && cached.mtimeMs === st.mtimeMs && cached.size === st.size) {
        out.push(cached.parsed);
        continue;
      }
      const parsed = await this.#parse(root, dir, file, st.size);
      this.#cache.set(file, { mtimeMs: st.mtimeMs, size: st.size, parsed });
      out.push(parsed);
    }
    return out;
  }

  async #parse(root: SkillRoot, dir: string, file: string, size: number): Promise<Parsed> {
    const issue = (line: number, message: string): Parsed => ({
      issue: { file, line, message, source: root.source },
    });
    if (size > SKILL_FILE_MAX_BYTES) {
      return issue(0, `SKILL.md is ${size} bytes; the limit is ${SKILL_FILE_MAX_BYTES}`);
    }
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      return issue(0, `cannot read: ${errorMessage(err)}`);
    }
    const r = await parseSkillFile(text, this.#check);
    if (!r.ok) return issue(r.line, r.message);
    return {
      skill: {
        name: r.frontmatter.name,
        description: r.frontmatter.description.replace(/\s+/g, ' ').trim(),
        requires: r.frontmatter.metadata?.requires ?? {},
        dir,
        file,
        source: root.source,
        bodyChars: r.body.trim().length,
      },
    };
  }
}
