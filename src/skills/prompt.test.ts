import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { skillsPrompt } from './prompt.js';
import { SkillsRegistry } from './registry.js';
import { findBundledSkillsDir, skillRoots } from './roots.js';
import type { SkillReport } from './types.js';

function report(name: string, file: string, eligible = true): SkillReport {
  return {
    name,
    description: `does ${name} things`,
    requires: {},
    dir: file.replace(/\/SKILL\.md$/, ''),
    file,
    source: 'workspace',
    bodyChars: 10,
    eligible,
    reasons: eligible ? [] : ['nope'],
  };
}

describe('skillsPrompt', () => {
  it('lists eligible skills by name within the budget and counts the rest', () => {
    const skills = Array.from({ length: 30 }, (_, i) =>
      report(`skill-${String(i).padStart(2, '0')}`, `/ws/skills/skill-${i}/SKILL.md`),
    );
    skills.push(report('aaa-hidden', '/ws/skills/aaa/SKILL.md', false));
    const r = skillsPrompt(skills, { workspaceDir: '/ws', maxChars: 400 });
    expect(r.skills.length).toBeGreaterThan(3);
    expect(r.skills.length).toBeLessThan(30);
    expect(r.skills.length + r.skillsOmitted).toBe(30);
    expect(r.skills[0]).toEqual({
      name: 'skill-00',
      description: 'does skill-00 things',
      location: 'skills/skill-0/SKILL.md',
    });
    const chars = r.skills.reduce((n, s) => n + `- ${s.name}: ${s.description} (${s.location})\n`.length, 0);
    expect(chars).toBeLessThanOrEqual(400);
    expect(r.skills.some((s) => s.name === 'aaa-hidden')).toBe(false);
  });

  it('gives skills outside the workspace an absolute location and caps long descriptions', () => {
    const long = { ...report('far', '/state/skills/far/SKILL.md'), description: 'x'.repeat(500) };
    const r = skillsPrompt([long], { workspaceDir: '/ws', maxChars: 4000 });
    expect(r.skills[0]?.location).toBe('/state/skills/far/SKILL.md');
    expect(r.skills[0]?.description).toHaveLength(200);
    expect(r.skills[0]?.description.endsWith('…')).toBe(true);
  });
});

describe('bundled skills', () => {
  it('are found at the package root and all parse; git-workflow needs git', async () => {
    const bundledDir = await findBundledSkillsDir();
    expect(bundledDir).toMatch(/\/skills$/);
    const ws = await mkdtemp(join(tmpdir(), 'carapace-skills-'));
    try {
      const roots = skillRoots({ workspaceDir: ws, managedDir: join(ws, 'none'), bundledDir });
      const list = (hasGit: boolean) =>
        new SkillsRegistry().list({
          roots,
          env: {},
          config: {},
          platform: 'linux',
          hasBin: async (b) => hasGit && b === 'git',
        });
      const { skills, issues } = await list(true);
      expect(issues).toEqual([]);
      expect(skills.map((s) => s.name).sort()).toEqual(['git-workflow', 'memory-curator', 'skill-creator']);
      expect(skills.every((s) => s.source === 'bundled' && s.eligible && s.bodyChars > 200)).toBe(true);
      const noGit = await list(false);
      expect(noGit.skills.find((s) => s.name === 'git-workflow')?.reasons).toEqual([
        "binary 'git' is not on PATH",
      ]);
      // A workspace skill of the same name wins over the bundled one.
      await mkdir(join(ws, 'skills', 'git-workflow'), { recursive: true });
      await writeFile(
        join(ws, 'skills', 'git-workflow', 'SKILL.md'),
        '---\nname: git-workflow\ndescription: my own\n---\n',
      );
      const mine = (await list(true)).skills.filter((s) => s.name === 'git-workflow');
      expect(mine.map((s) => [s.source, s.eligible])).toEqual([
        ['workspace', true],
        ['bundled', false],
      ]);
    } finally {
      await rm(ws, { recursive: true, force: true });
    }
  });
});
