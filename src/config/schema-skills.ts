import Type, { type Static } from 'typebox';

const closed = { additionalProperties: false } as const;

/**
 * `skills`: SKILL.md folders the agent may pick up. Sources in precedence order: the agent workspace's
 * `skills/` > managed `<stateDir>/skills/` > bundled with Carapace > `extraDirs`. A name found in a higher
 * source shadows the same name below it.
 */
export const SkillsSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'List eligible skills in the system prompt.' }),
    bundled: Type.Boolean({ default: true, description: 'Offer the skills that ship with Carapace.' }),
    extraDirs: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: 'More folders of skills, below the bundled ones in precedence.',
    }),
    disabled: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: 'Skill names never offered, whatever their source.',
    }),
    promptMaxChars: Type.Integer({
      minimum: 200,
      maximum: 100_000,
      default: 4000,
      description: 'Budget of the skills list in the system prompt; skills past it are counted, not listed.',
    }),
  },
  { ...closed, default: {} },
);
export type SkillsConfig = Static<typeof SkillsSchema>;
