import Type, { type Static } from 'typebox';

/** Where a skill was found, highest precedence first. */
export const SkillSourceSchema = Type.Union([
  Type.Literal('workspace'),
  Type.Literal('managed'),
  Type.Literal('bundled'),
  Type.Literal('extra'),
]);
export type SkillSource = Static<typeof SkillSourceSchema>;

/** Precedence order of the sources: a name in an earlier one shadows the same name in a later one. */
export const SKILL_SOURCES: readonly SkillSource[] = ['workspace', 'managed', 'bundled', 'extra'];

/** What a skill needs before it is offered (`metadata.requires` in SKILL.md). */
export const SkillRequirementsSchema = Type.Object(
  {
    bins: Type.Optional(Type.Array(Type.String({ minLength: 1, pattern: '^[^/\\\\]+$' }))),
    anyBins: Type.Optional(Type.Array(Type.String({ minLength: 1, pattern: '^[^/\\\\]+$' }))),
    env: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }))),
    config: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    os: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  },
  { additionalProperties: false },
);
export type SkillRequirements = Static<typeof SkillRequirementsSchema>;

/**
 * The frontmatter of SKILL.md. `name` is lowercase letters, digits and hyphens; other top-level keys
 * (license, allowed-tools …) are allowed and ignored.
 */
export const SkillFrontmatterSchema = Type.Object({
  name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$' }),
  description: Type.String({ minLength: 1, maxLength: 1024 }),
  metadata: Type.Optional(Type.Object({ requires: Type.Optional(SkillRequirementsSchema) })),
});
export type SkillFrontmatter = Static<typeof SkillFrontmatterSchema>;

/** A SKILL.md that could not be used: the file, the 1-based line, and what is wrong. */
export interface SkillIssue {
  file: string;
  line: number;
  message: string;
  source: SkillSource;
}

/** A parsed SKILL.md (before eligibility). */
export interface SkillDefinition {
  name: string;
  description: string;
  requires: SkillRequirements;
  /** The skill's folder and its SKILL.md (absolute). */
  dir: string;
  file: string;
  source: SkillSource;
  /** Length of the Markdown instructions after the frontmatter. */
  bodyChars: number;
}

/** One skill as `skills list` shows it: eligible or not, and why. */
export interface SkillReport extends SkillDefinition {
  eligible: boolean;
  /** Why it is not offered (empty when eligible). */
  reasons: string[];
  /** Set when a higher-precedence skill of the same name wins: that skill's SKILL.md. */
  shadowedBy?: string;
}

/** Every skill of every source, eligible or not, and the SKILL.md files that were skipped. */
export interface SkillsListing {
  skills: SkillReport[];
  issues: SkillIssue[];
}

/** A folder of skills and its source. */
export interface SkillRoot {
  dir: string;
  source: SkillSource;
}
