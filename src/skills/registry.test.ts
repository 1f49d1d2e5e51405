import { chmod, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SkillsRegistry } from './registry.js';
import { skillRoots } from './roots.js';
import type { SkillRoot } from './types.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function temp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'carapace-skills-'));
  dirs.push(d);
  return d;
}

async function skill(root: string, folder: string, frontmatter: string, body = '# Steps\n1. do it\n') {
  await mkdir(join(root, folder), { recursive: true });
  await writeFile(join(root, folder, 'SKILL.md'), `---\n${frontmatter}\n---\n${body}`);
}

const base: { env: Record<string, string>; config: unknown; platform: string } = {
  env: { PATH: '' },
  config: {},
  platform: 'linux',
};

async function layout() {
  const top = await temp();
  const roots = skillRoots({
    workspaceDir: join(top, 'ws'),
    managedDir: join(top, 'managed'),
    bundledDir: join(top, 'bundled'),
  });
  const [ws, managed, bundled] = roots.map((r) => r.dir) as [string, string, string];
  return { top, roots, ws, managed, bundled };
}

describe('SkillsRegistry precedence', () => {
  it('a workspace skill shadows a managed one, which shadows a bundled one of the same name', async () => {
    const { roots, ws, managed, bundled } = await layout();
    await skill(ws, 'notes', 'name: notes\ndescription: from the workspace');
    await skill(managed, 'notes', 'name: notes\ndescription: managed copy');
    await skill(bundled, 'notes', 'name: notes\ndescription: bundled copy');
    await skill(bundled, 'other', 'name: other\ndescription: only bundled');
    const { skills, issues } = await new SkillsRegistry().list({ ...base, roots });
    expect(issues).toEqual([]);
    const notes = skills.filter((s) => s.name === 'notes');
    expect(notes.map((s) => [s.source, s.eligible])).toEqual([
      ['workspace', true],
      ['managed', false],
      ['bundled', false],
    ]);
    expect(notes[0]?.description).toBe('from the workspace');
    expect(notes[1]?.shadowedBy).toBe(join(ws, 'notes', 'SKILL.md'));
    expect(notes[2]?.reasons[0]).toMatch(/shadowed by the workspace skill/);
    expect(skills.find((s) => s.name === 'other')).toMatchObject({ source: 'bundled', eligible: true });
  });

  it('with bundled off, the bundled folder is not a source', () => {
    const roots = skillRoots({ workspaceDir: '/w', managedDir: '/m', bundledDir: '/b', bundled: false });
    expect(roots.map((r: SkillRoot) => r.source)).toEqual(['workspace', 'managed']);
  });
});

describe('SkillsRegistry gating', () => {
  async function one(frontmatter: string, input: Partial<typeof base> & { disabled?: string[] } = {}) {
    const { roots, ws } = await layout();
    await skill(ws, 's', `name: s\ndescription: d\n${frontmatter}`);
    const { skills } = await new SkillsRegistry().list({ ...base, ...input, roots });
    return skills[0]!;
  }

  it('bins: needs every binary on PATH', async () => {
    const bin = await temp();
    await writeFile(join(bin, 'fakebin'), '#!/bin/sh\n');
    await chmod(join(bin, 'fakebin'), 0o755);
    await writeFile(join(bin, 'notexec'), 'x');
    const fm = 'metadata:\n  requires:\n    bins: [fakebin]';
    expect((await one(fm, { env: { PATH: bin } })).eligible).toBe(true);
    const missing = await one(fm, { env: { PATH: '/nonexistent' } });
    expect(missing).toMatchObject({ eligible: false, reasons: ["binary 'fakebin' is not on PATH"] });
    const plain = await one('metadata:\n  requires:\n    bins: [notexec]', { env: { PATH: bin } });
    expect(plain.reasons).toEqual(["binary 'notexec' is not on PATH"]);
  });

  it('anyBins: one of them is enough', async () => {
    const bin = await temp();
    await writeFile(join(bin, 'b2'), '#!/bin/sh\n', { mode: 0o755 });
    const fm = 'metadata:\n  requires:\n    anyBins: [b1, b2]';
    expect((await one(fm, { env: { PATH: bin } })).eligible).toBe(true);
    expect((await one(fm, { env: { PATH: '/nonexistent' } })).reasons).toEqual([
      'none of the binaries b1, b2 is on PATH',
    ]);
  });

  it('env: needs each variable set and non-empty', async () => {
    const fm = 'metadata:\n  requires:\n    env: [SKILL_TOKEN]';
    expect((await one(fm, { env: { SKILL_TOKEN: 'x' } })).eligible).toBe(true);
    expect((await one(fm, { env: { SKILL_TOKEN: '' } })).reasons).toEqual([
      'environment variable SKILL_TOKEN is not set',
    ]);
  });

  it('config: needs each key set to a value', async () => {
    const fm = 'metadata:\n  requires:\n    config: ["tools.web.search.provider", "agents.list[0].id"]';
    const config = { tools: { web: { search: { provider: 'brave' } } }, agents: { list: [{ id: 'main' }] } };
    expect((await one(fm, { config })).eligible).toBe(true);
    const off = await one(fm, {
      config: { tools: { web: { search: { provider: '' } } }, agents: { list: [] } },
    });
    expect(off.reasons).toEqual([
      'config tools.web.search.provider is not set',
      'config agents.list[0].id is not set',
    ]);
  });

  it('os: needs the host platform (aliases such as macos accepted)', async () => {
    const fm = 'metadata:\n  requires:\n    os: [macos]';
    expect((await one(fm, { platform: 'darwin' })).eligible).toBe(true);
    expect((await one(fm, { platform: 'linux' })).reasons).toEqual(['needs os macos (this host is linux)']);
  });

  it('skills.disabled turns a skill off by name', async () => {
    const off = await one('', { disabled: ['s'] });
    expect(off).toMatchObject({ eligible: false, reasons: ['disabled by skills.disabled'] });
  });
});

describe('SkillsRegistry on disk', () => {
  it('picks up a new skill and an edited description on the next listing', async () => {
    const { roots, ws, managed } = await layout();
    const registry = new SkillsRegistry();
    await skill(ws, 'a', 'name: a\ndescription: first');
    expect((await registry.list({ ...base, roots })).skills.map((s) => s.name)).toEqual(['a']);
    await skill(managed, 'b', 'name: b\ndescription: new one');
    await skill(ws, 'a', 'name: a\ndescription: edited, and longer');
    const after = await registry.list({ ...base, roots });
    expect(after.skills.map((s) => [s.name, s.description])).toEqual([
      ['a', 'edited, and longer'],
      ['b', 'new one'],
    ]);
    await rm(join(ws, 'a'), { recursive: true });
    expect((await registry.list({ ...base, roots })).skills.map((s) => s.name)).toEqual(['b']);
  });

  it('returns the same listing while nothing on disk changed, and sees every kind of change', async () => {
    const { roots, ws, managed } = await layout();
    const registry = new SkillsRegistry();
    await skill(ws, 'a', 'name: a\ndescription: aaaa');
    await mkdir(join(managed, 'later'), { recursive: true }); // a folder without a SKILL.md yet
    await registry.list({ ...base, roots });
    const settled = await registry.list({ ...base, roots });
    expect(await registry.list({ ...base, roots })).toBe(settled);

    // An edit of the same size: only the mtime tells.
    await skill(ws, 'a', 'name: a\ndescription: bbbb');
    const future = new Date(Date.now() + 5000);
    await utimes(join(ws, 'a', 'SKILL.md'), future, future);
    expect((await registry.list({ ...base, roots })).skills.map((s) => s.description)).toEqual(['bbbb']);
    // A SKILL.md appearing in a folder that was already there.
    await writeFile(join(managed, 'later', 'SKILL.md'), '---\nname: later\ndescription: now here\n---\n');
    expect((await registry.list({ ...base, roots })).skills.map((s) => s.name)).toEqual(['a', 'later']);
    // A root that did not exist (bundled) appearing with a skill in it.
    await skill(roots[2]!.dir, 'c', 'name: c\ndescription: bundled one');
    expect((await registry.list({ ...base, roots })).skills.map((s) => s.name)).toEqual(['a', 'later', 'c']);
    // A new folder in a root that was already there (once the listing has settled again).
    const before = await registry.list({ ...base, roots });
    expect(await registry.list({ ...base, roots })).toBe(before);
    await skill(ws, 'd', 'name: d\ndescription: one more');
    expect((await registry.list({ ...base, roots })).skills.map((s) => s.name)).toEqual([
      'a',
      'd',
      'later',
      'c',
    ]);
    // Another env (or config) object is another question: listed again.
    const again = await registry.list({ ...base, roots });
    expect(await registry.list({ ...base, env: { PATH: '' }, roots })).not.toBe(again);
  });

  it('reports a broken SKILL.md with file and line and keeps the others', async () => {
    const { roots, ws } = await layout();
    await skill(ws, 'good', 'name: good\ndescription: fine');
    await skill(ws, 'bad-yaml', 'name: bad-yaml\ndescription: [unclosed\nx: 1');
    await skill(ws, 'no-desc', 'name: no-desc');
    await skill(ws, 'bad-bins', 'name: bad-bins\ndescription: d\nmetadata:\n  requires:\n    bins: git');
    await skill(ws, 'bad-name', 'name: Bad Name\ndescription: d');
    await mkdir(join(ws, 'no-fm'));
    await writeFile(join(ws, 'no-fm', 'SKILL.md'), '# just markdown\n');
    const { skills, issues } = await new SkillsRegistry().list({ ...base, roots });
    expect(skills.map((s) => s.name)).toEqual(['good']);
    const byFolder = Object.fromEntries(issues.map((i) => [i.file.split('/').at(-2), i]));
    expect(byFolder['bad-yaml']).toMatchObject({ line: 4, message: expect.stringMatching(/invalid YAML/) });
    expect(byFolder['no-desc']).toMatchObject({ line: 2, message: expect.stringMatching(/description/) });
    expect(byFolder['bad-bins']).toMatchObject({ line: 6, message: expect.stringMatching(/bins/) });
    expect(byFolder['bad-name']).toMatchObject({ line: 2, message: expect.stringMatching(/^name:/) });
    expect(byFolder['no-fm']).toMatchObject({ line: 1, message: expect.stringMatching(/---/) });
    expect(byFolder['bad-bins']?.file).toBe(join(ws, 'bad-bins', 'SKILL.md'));
  });
});
