import { readdir } from 'node:fs/promises';
import pc from 'picocolors';
import { processEnvironment } from '../../config/index.js';
import { CarapaceError } from '../../shared/index.js';
import {
  findBundledSkillsDir,
  listAgentSkills,
  type SkillReport,
  type SkillsListing,
  SkillsRegistry,
} from '../../skills/index.js';
import type { CliContext, StateFlags } from '../context.js';
import { formatJson } from '../format.js';
import { formatTable } from '../table.js';
import { type LocalAgent, loadLocalAgent } from './skills-local.js';

/** Flags of `carapace skills list` and `carapace skills info`. */
export interface SkillsFlags extends StateFlags {
  agent?: string;
  json?: boolean;
}

async function listing(local: LocalAgent): Promise<SkillsListing & { bundledDir: string | undefined }> {
  const bundledDir = await findBundledSkillsDir();
  const result = await listAgentSkills({
    registry: new SkillsRegistry(),
    config: local.config,
    workspaceDir: local.agent.workspaceDir,
    managedDir: local.paths.skillsDir,
    bundledDir,
    env: processEnvironment(),
    platform: process.platform,
  });
  return { ...result, bundledDir };
}

function status(s: SkillReport): string {
  if (s.eligible) return pc.green('eligible');
  return s.shadowedBy ? pc.dim('shadowed') : pc.yellow('blocked');
}

function issuesText(issues: SkillsListing['issues']): string {
  return issues
    .map((i) => `${pc.red('skipped')} ${i.file}${i.line ? `:${i.line}` : ''}: ${i.message}\n`)
    .join('');
}

/**
 * `carapace skills list`: every skill the agent could see — workspace, managed, bundled, extra — with its
 * source, whether it is offered, and why not; SKILL.md files that could not be parsed, with file and line.
 */
export async function skillsList(ctx: CliContext, flags: SkillsFlags): Promise<number> {
  const local = await loadLocalAgent(ctx, flags);
  if (!local) return 1;
  const r = await listing(local);
  if (flags.json) {
    ctx.io.out(formatJson({ agentId: local.agent.id, enabled: local.config.skills.enabled, ...r }, false));
    return 0;
  }
  if (r.skills.length === 0) ctx.io.out('No skills found.\n');
  else {
    ctx.io.out(
      formatTable(
        [{ header: 'NAME' }, { header: 'SOURCE' }, { header: 'STATUS' }, { header: 'DETAIL' }],
        r.skills.map((s) => [s.name, s.source, status(s), s.eligible ? s.description : s.reasons.join('; ')]),
      ),
    );
  }
  const eligible = r.skills.filter((s) => s.eligible).length;
  const off = local.config.skills.enabled ? '' : ' (skills.enabled is false: none go into the prompt)';
  ctx.io.out(pc.dim(`${eligible} of ${r.skills.length} eligible for agent ${local.agent.id}${off}\n`));
  ctx.io.err(issuesText(r.issues));
  return 0;
}

async function filesOf(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string, depth: number) => {
    const entries = await readdir(rel ? `${dir}/${rel}` : dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory() && depth < 3) await walk(path, depth + 1);
      else if (!e.isDirectory()) out.push(path);
      if (out.length >= 50) return;
    }
  };
  await walk('', 0);
  return out;
}

/** `carapace skills info <name>`: one skill in full — source, path, requirements, eligibility, files. */
export async function skillsInfo(ctx: CliContext, name: string, flags: SkillsFlags): Promise<number> {
  const local = await loadLocalAgent(ctx, flags);
  if (!local) return 1;
  const r = await listing(local);
  const all = r.skills.filter((s) => s.name === name);
  const skill = all[0];
  if (!skill) {
    const broken = r.issues.filter((i) => i.file.split(/[\\/]/).at(-2) === name);
    ctx.io.err(issuesText(broken));
    throw new CarapaceError('SKILL_NOT_FOUND', `no skill named '${name}' for agent ${local.agent.id}`, {
      details: { name },
    });
  }
  const files = await filesOf(skill.dir);
  if (flags.json) {
    ctx.io.out(formatJson({ ...skill, files, shadowed: all.slice(1) }, false));
    return 0;
  }
  const req = skill.requires;
  const lines = [
    `${pc.bold(skill.name)}  ${status(skill)}`,
    skill.description,
    '',
    `source    ${skill.source}`,
    `file      ${skill.file}`,
    `requires  ${
      Object.entries(req)
        .filter(([, v]) => Array.isArray(v) && v.length)
        .map(([k, v]) => `${k}: ${(v as string[]).join(', ')}`)
        .join('; ') || 'nothing'
    }`,
    ...(skill.reasons.length ? [`why not   ${skill.reasons.join('; ')}`] : []),
    ...all.slice(1).map((s) => `shadows   ${s.source} ${s.file}`),
    `files     ${files.join(', ')}`,
    '',
  ];
  ctx.io.out(lines.join('\n'));
  return 0;
}
