import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../test/helpers/cli.js';

// `carapace agent context` lists the skills a turn would see, with the same prompt listing as the gateway.

interface ContextSkillJson {
  name: string;
  source: string;
  eligible: boolean;
  inPrompt: boolean;
  promptChars: number;
  reasons: string[];
}
interface ContextJson {
  systemPrompt: string;
  sections: { name: string; chars: number }[];
  skills: ContextSkillJson[];
  skillsOmitted: number;
}

const HEADER = '## Skills\nBefore using a skill, read its SKILL.md:';

let dir: string;
let ws: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-cli-context-'));
  ws = join(dir, 'ws');
  await skill(join(ws, 'skills'), 'weather', 'description: Look up the weather for a city');
  await skill(
    join(ws, 'skills'),
    'deploy',
    'description: Ship it\nmetadata:\n  requires:\n    env: [DEPLOY_TOKEN]',
  );
  await skill(join(dir, 'skills'), 'standup', 'description: Write the daily standup note');
  // Same name as a bundled skill: the workspace one wins, the bundled one is shadowed.
  await skill(join(ws, 'skills'), 'git-workflow', 'description: Our own git rules');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function skill(root: string, name: string, frontmatter: string) {
  await mkdir(join(root, name), { recursive: true });
  await writeFile(join(root, name, 'SKILL.md'), `---\nname: ${name}\n${frontmatter}\n---\n# ${name}\n`);
}

async function config(extra: Record<string, unknown> = {}) {
  const json = { agents: { defaults: { workspace: ws } }, ...extra };
  await writeFile(join(dir, 'carapace.json'), JSON.stringify(json), { mode: 0o600 });
}

function carapace(args: string[]) {
  return runCli(args, { HOME: dir, CARAPACE_STATE_DIR: dir, NO_COLOR: '1' });
}

function contextJson(): ContextJson {
  const res = carapace(['agent', 'context', '--json']);
  expect(res.stderr).toBe('');
  expect(res.status).toBe(0);
  return JSON.parse(res.stdout) as ContextJson;
}

const byName = (r: ContextJson) => Object.fromEntries(r.skills.map((s) => [`${s.source}:${s.name}`, s]));

describe('carapace agent context: skills', { timeout: 60_000 }, () => {
  it('every skill with source, eligibility and the size of its line in the prompt', async () => {
    await config();
    const r = contextJson();
    const s = byName(r);
    expect(s['workspace:weather']).toMatchObject({ eligible: true, inPrompt: true, reasons: [] });
    expect(s['managed:standup']).toMatchObject({ eligible: true, inPrompt: true });
    expect(s['bundled:skill-creator']).toMatchObject({ eligible: true, inPrompt: true });
    expect(s['workspace:deploy']).toMatchObject({ eligible: false, inPrompt: false, promptChars: 0 });
    expect(s['workspace:deploy']?.reasons.join(' ')).toContain('DEPLOY_TOKEN');
    expect(s['bundled:git-workflow']).toMatchObject({ eligible: false, inPrompt: false });
    expect(s['bundled:git-workflow']?.reasons.join(' ')).toContain('shadowed');

    // The prompt lists exactly the skills marked inPrompt, and their sizes add up to the section.
    expect(r.systemPrompt).toContain('- weather: Look up the weather for a city (skills/weather/SKILL.md)');
    expect(r.systemPrompt).toContain(`- standup: Write the daily standup note (${join(dir, 'skills')}`);
    expect(r.systemPrompt).not.toContain('- deploy:');
    const listed = r.skills.filter((x) => x.inPrompt);
    expect(listed.length).toBeGreaterThanOrEqual(4);
    for (const x of listed) expect(r.systemPrompt).toContain(`- ${x.name}: `);
    const section = r.sections.find((x) => x.name === 'skills')?.chars;
    expect(section).toBe(HEADER.length + listed.reduce((n, x) => n + x.promptChars, 0));
    expect(r.skillsOmitted).toBe(0);
  });

  it('says which eligible skills the list budget leaves out, and when skills are off', async () => {
    await config({ skills: { promptMaxChars: 200 } });
    const r = contextJson();
    const out = r.skills.filter((x) => x.eligible && !x.inPrompt);
    expect(out.length).toBe(r.skillsOmitted);
    expect(r.skillsOmitted).toBeGreaterThan(0);
    expect(out[0]?.reasons).toEqual(['over the list budget (skills.promptMaxChars)']);
    expect(r.systemPrompt).toMatch(/more skills? not listed: the skills list budget is used up/);

    await config({ skills: { enabled: false } });
    const off = contextJson();
    expect(off.skills.some((x) => x.inPrompt)).toBe(false);
    expect(off.skills.find((x) => x.name === 'weather')?.reasons).toEqual(['skills.enabled is false']);
    expect(off.systemPrompt).toContain('## Skills\nNo skills are installed.');
  });

  it('prints a skills table for people', async () => {
    await config();
    const res = carapace(['agent', 'context']);
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/^SKILL\s+SOURCE\s+STATUS\s+CHARS\s+NOTE$/m);
    expect(res.stdout).toMatch(/^weather\s+workspace\s+in prompt\s+\d+\s*$/m);
    expect(res.stdout).toMatch(/^deploy\s+workspace\s+blocked\s+.*DEPLOY_TOKEN/m);
    expect(res.stdout).toMatch(/^git-workflow\s+bundled\s+shadowed\s+/m);
    expect(res.stdout).toMatch(/\d+ listed within skills\.promptMaxChars/);
  });
});
