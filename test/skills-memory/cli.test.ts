import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

let state: string;
let ws: string;
const cli = (...args: string[]) => runCli(args, { CARAPACE_STATE_DIR: state, HOME: state });

async function writeSkill(root: string, folder: string, text: string) {
  await mkdir(join(root, folder), { recursive: true });
  await writeFile(join(root, folder, 'SKILL.md'), text);
}

beforeEach(async () => {
  state = await mkdtemp(join(tmpdir(), 'carapace-cli-'));
  ws = join(state, 'workspace');
  await mkdir(join(ws, 'memory'), { recursive: true });
});
afterEach(async () => {
  await rm(state, { recursive: true, force: true });
});

describe('carapace skills', () => {
  it('list shows every source with status and reason, and reports a broken SKILL.md with file and line', async () => {
    await writeSkill(
      join(ws, 'skills'),
      'git-workflow',
      '---\nname: git-workflow\ndescription: my own git notes\n---\n',
    );
    await writeSkill(
      join(state, 'skills'),
      'tokened',
      '---\nname: tokened\ndescription: needs a token\nmetadata:\n  requires:\n    env: [CARAPACE_TEST_NO_SUCH_TOKEN]\n---\n',
    );
    await writeSkill(join(ws, 'skills'), 'broken', '---\nname: broken\ndescription: ok\nmetadata: [\n---\n');
    const json = cli('skills', 'list', '--json');
    expect(json.status).toBe(0);
    const out = JSON.parse(json.stdout) as {
      skills: { name: string; source: string; eligible: boolean; reasons: string[] }[];
      issues: { file: string; line: number }[];
    };
    const rows = out.skills.map((s) => [s.name, s.source, s.eligible]);
    expect(rows).toEqual(
      expect.arrayContaining([
        ['git-workflow', 'workspace', true],
        ['tokened', 'managed', false],
        ['git-workflow', 'bundled', false],
        ['skill-creator', 'bundled', true],
      ]),
    );
    expect(out.skills.find((s) => s.name === 'tokened')?.reasons).toEqual([
      'environment variable CARAPACE_TEST_NO_SUCH_TOKEN is not set',
    ]);
    expect(out.issues).toEqual([
      expect.objectContaining({ file: join(ws, 'skills', 'broken', 'SKILL.md'), line: 4 }),
    ]);

    const text = cli('skills', 'list');
    expect(text.stdout).toMatch(
      /tokened\s+managed\s+blocked\s+environment variable CARAPACE_TEST_NO_SUCH_TOKEN/,
    );
    expect(text.stderr).toContain(`skipped ${join(ws, 'skills', 'broken', 'SKILL.md')}:4:`);

    const info = cli('skills', 'info', 'git-workflow');
    expect(info.status).toBe(0);
    expect(info.stdout).toContain(`file      ${join(ws, 'skills', 'git-workflow', 'SKILL.md')}`);
    expect(info.stdout).toMatch(/shadows\s+bundled .*skills\/git-workflow\/SKILL\.md/);
    const missing = cli('skills', 'info', 'no-such-skill');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("no skill named 'no-such-skill'");
  });
});

describe('carapace memory', () => {
  it('search prints file and lines, sees an append, and reindex rebuilds the index in the state dir', async () => {
    await writeFile(join(ws, 'MEMORY.md'), '# People\n- Anna is my sister.\n');
    await writeFile(join(ws, 'memory', '2025-03-02.md'), '- Dentist moved to Thursday 14:00.\n');
    const first = cli('memory', 'search', 'dentist');
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('memory/2025-03-02.md:1-1');
    expect(first.stdout).toContain('Dentist moved to Thursday');

    await appendFile(join(ws, 'memory', '2025-03-02.md'), '- Car service booked for Monday.\n');
    const after = JSON.parse(cli('memory', 'search', 'car service', '--json').stdout) as {
      hits: { path: string; startLine: number; endLine: number }[];
    };
    expect(after.hits[0]).toMatchObject({ path: 'memory/2025-03-02.md', startLine: 1, endLine: 2 });

    const re = cli('memory', 'reindex', '--json');
    expect(re.status).toBe(0);
    expect(JSON.parse(re.stdout)).toMatchObject({
      files: 2,
      chunks: 2,
      indexPath: join(state, 'agents', 'main', 'memory', 'index.json'),
    });
  });
});
