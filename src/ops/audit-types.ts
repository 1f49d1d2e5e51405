import type { Config, ConfigEnv, StatePaths } from '../config/index.js';
import type { Issue } from './findings.js';

/** A skill whose SKILL.md carries install steps (commands an agent or a person might run). */
export interface SkillInstallInfo {
  name: string;
  /** workspace, managed, bundled or extra. */
  source: string;
  file: string;
  /** Each install step in words, e.g. `brew: ripgrep` or `curl -fsSL … | sh`. */
  install: string[];
}

/** Lists the skills the agents could see that carry install steps. */
export type SkillInstallLister = (
  ctx: Pick<AuditContext, 'config' | 'paths' | 'env'>,
) => Promise<SkillInstallInfo[]>;

/** The outside world the audit looks at. */
export interface AuditPorts {
  /** The environment secret refs resolve against (`processEnvironment()` in the CLI). */
  env: ConfigEnv;
  /** Default: every agent's workspace, the managed, bundled and extra skill folders. */
  listSkills?: SkillInstallLister;
}

/** What every audit check receives; checks that need the config skip when it does not load. */
export interface AuditContext {
  paths: StatePaths;
  env: ConfigEnv;
  config: Config | undefined;
  configIssues: Issue[];
  listSkills: SkillInstallLister;
}
