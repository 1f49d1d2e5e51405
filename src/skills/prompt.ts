import { isAbsolute, relative, sep } from 'node:path';
import type { SkillReport } from './types.js';

/** A skill as the system prompt lists it. */
export interface PromptSkill {
  name: string;
  description: string;
  /** Where its SKILL.md is: relative to the workspace when inside it, else absolute. */
  location: string;
}

/** The eligible skills that fit the budget, and how many did not. */
export interface SkillsPrompt {
  skills: PromptSkill[];
  skillsOmitted: number;
}

/** Longest description shown in the prompt; the model reads SKILL.md for the rest. */
export const PROMPT_DESCRIPTION_MAX_CHARS = 200;

function location(file: string, workspaceDir: string): string {
  const rel = relative(workspaceDir, file);
  return rel && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel)
    ? rel.split(sep).join('/')
    : file;
}

/**
 * The compact listing for the system prompt: eligible skills by name, one line each
 * (`- name: description (location)`, as the agent's context renders them), descriptions capped at
 * PROMPT_DESCRIPTION_MAX_CHARS, until the lines would exceed `maxChars`; the rest are only counted.
 */
export function skillsPrompt(
  skills: readonly SkillReport[],
  options: { workspaceDir: string; maxChars: number },
): SkillsPrompt {
  const eligible = skills.filter((s) => s.eligible).sort((a, b) => a.name.localeCompare(b.name));
  const out: PromptSkill[] = [];
  let used = 0;
  for (const s of eligible) {
    const description =
      s.description.length > PROMPT_DESCRIPTION_MAX_CHARS
        ? `${s.description.slice(0, PROMPT_DESCRIPTION_MAX_CHARS - 1)}…`
        : s.description;
    const item = { name: s.name, description, location: location(s.file, options.workspaceDir) };
    const size = `- ${item.name}: ${item.description} (${item.location})\n`.length;
    if (used + size > options.maxChars) break;
    used += size;
    out.push(item);
  }
  return { skills: out, skillsOmitted: eligible.length - out.length };
}
