/**
 * skills: SKILL.md discovery (workspace > managed > bundled > extra), frontmatter parsing with line-accurate
 * issues, eligibility (bins, env, config keys, os) with reasons, precedence by name, and the compact
 * listing for the system prompt. Changes on disk are seen on the next listing. See README.md.
 */

export type { AgentSkillsInput } from './agent-skills.js';
export { agentSkillsPrompt, listAgentSkills } from './agent-skills.js';
export type { ParsedSkillFile } from './frontmatter.js';
export { parseSkillFile } from './frontmatter.js';
export type { PromptSkill, SkillsPrompt } from './prompt.js';
export { PROMPT_DESCRIPTION_MAX_CHARS, skillsPrompt } from './prompt.js';
export type { ListSkillsInput } from './registry.js';
export { SKILL_FILE_MAX_BYTES, SkillsRegistry } from './registry.js';
export type { EligibilityContext } from './requirements.js';
export { checkRequirements, configValue, createBinLookup } from './requirements.js';
export type { SkillRootsInput } from './roots.js';
export { findBundledSkillsDir, skillRoots } from './roots.js';
export * from './types.js';
