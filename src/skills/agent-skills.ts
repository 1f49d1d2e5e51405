import type { Config } from '../config/index.js';
import { type SkillsPrompt, skillsPrompt } from './prompt.js';
import type { SkillsRegistry } from './registry.js';
import { skillRoots } from './roots.js';
import type { SkillsListing } from './types.js';

/** One agent's view of the skills: its workspace plus the shared managed and bundled folders. */
export interface AgentSkillsInput {
  registry: SkillsRegistry;
  /** The loaded config: `skills` settings, and the values `requires.config` keys are checked against. */
  config: Config;
  workspaceDir: string;
  managedDir: string;
  bundledDir: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  platform: string;
}

/** Every skill the agent could see (eligible or not, with reasons) and the SKILL.md files skipped. */
export function listAgentSkills(input: AgentSkillsInput): Promise<SkillsListing> {
  const s = input.config.skills;
  return input.registry.list({
    roots: skillRoots({
      workspaceDir: input.workspaceDir,
      managedDir: input.managedDir,
      bundledDir: input.bundledDir,
      bundled: s.bundled,
      extraDirs: s.extraDirs,
    }),
    env: input.env,
    config: input.config,
    platform: input.platform,
    disabled: s.disabled,
  });
}

/** The skills section input of the system prompt (none when `skills.enabled` is false). */
export async function agentSkillsPrompt(input: AgentSkillsInput): Promise<SkillsPrompt> {
  if (!input.config.skills.enabled) return { skills: [], skillsOmitted: 0 };
  const listing = await listAgentSkills(input);
  return skillsPrompt(listing.skills, {
    workspaceDir: input.workspaceDir,
    maxChars: input.config.skills.promptMaxChars,
  });
}
