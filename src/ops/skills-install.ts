import { readFile } from 'node:fs/promises';
import { resolveAgents } from '../routing/index.js';
import type { SkillInstallLister } from './audit-types.js';

const MAX_STEP_CHARS = 160;

function describeStep(step: unknown): string | undefined {
  if (typeof step === 'string') return step.slice(0, MAX_STEP_CHARS);
  if (!step || typeof step !== 'object') return undefined;
  const s = step as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const what =
    text(s.command) ?? text(s.cmd) ?? text(s.formula) ?? text(s.package) ?? text(s.module) ?? text(s.url);
  const kind = text(s.kind) ?? text(s.manager) ?? text(s.type);
  if (!what && !kind) return JSON.stringify(step).slice(0, MAX_STEP_CHARS);
  return `${kind ? `${kind}: ` : ''}${what ?? ''}`.slice(0, MAX_STEP_CHARS);
}

function stepsOf(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.map(describeStep).filter((s): s is string => !!s);
}

/**
 * The install steps a SKILL.md frontmatter declares: `install`, `metadata.install`, or
 * `metadata.<namespace>.install` (the form skills written for other agents use).
 */
export function installSteps(frontmatter: unknown): string[] {
  const fm = (frontmatter ?? {}) as Record<string, unknown>;
  const steps = stepsOf(fm.install);
  const meta = fm.metadata;
  if (meta && typeof meta === 'object') {
    const m = meta as Record<string, unknown>;
    steps.push(...stepsOf(m.install));
    for (const [key, inner] of Object.entries(m)) {
      if (key !== 'install' && inner && typeof inner === 'object' && !Array.isArray(inner)) {
        steps.push(...stepsOf((inner as Record<string, unknown>).install));
      }
    }
  }
  return steps;
}

/** The default lister: every agent's skills (workspace, managed, bundled, extra), each SKILL.md read once. */
export const listSkillsWithInstall: SkillInstallLister = async ({ config, paths, env }) => {
  if (!config) return [];
  // skills/index.ts brings the YAML parser: loaded here, so that doctor, logs and service start without it.
  const { findBundledSkillsDir, listAgentSkills, parseSkillFile, SkillsRegistry } = await import(
    '../skills/index.js'
  );
  const registry = new SkillsRegistry();
  const bundledDir = await findBundledSkillsDir();
  const seen = new Set<string>();
  const out: Awaited<ReturnType<SkillInstallLister>> = [];
  for (const agent of resolveAgents(config, paths)) {
    const listing = await listAgentSkills({
      registry,
      config,
      workspaceDir: agent.workspaceDir,
      managedDir: paths.skillsDir,
      bundledDir,
      env,
      platform: process.platform,
    });
    for (const skill of listing.skills) {
      if (seen.has(skill.file)) continue;
      seen.add(skill.file);
      const parsed = await parseSkillFile(await readFile(skill.file, 'utf8').catch(() => ''));
      const install = [
        ...stepsOf((skill as { install?: unknown }).install),
        ...(parsed.ok ? installSteps(parsed.frontmatter) : []),
      ];
      if (install.length > 0)
        out.push({
          name: skill.name,
          source: skill.source,
          file: skill.file,
          install: [...new Set(install)],
        });
    }
  }
  return out;
};
