import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ToolOutput } from '../agent/index.js';
import { createFsTools } from './fs-tools.js';
import { applyHunks } from './patch-apply.js';
import { parsePatch } from './patch-parse.js';

const ctx = { sessionKey: 's', agentId: 'main', runId: 'r', toolCallId: 't' };
let dir: string;

async function applyPatch(patch: string): Promise<ToolOutput> {
  const tool = createFsTools({ workspaceDir: dir }).find((t) => t.name === 'apply_patch')!;
  return tool.execute({ patch }, ctx, new AbortController().signal);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-patch-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('parsePatch', () => {
  it('parses add, update (with @@ headers and End of File) and delete', () => {
    const ops = parsePatch(
      [
        '*** Begin Patch',
        '*** Add File: a.txt',
        '+one',
        '+two',
        '*** Update File: b.ts',
        '@@ function f() {',
        ' keep',
        '-old',
        '+new',
        '',
        '@@',
        '-tail',
        '+TAIL',
        '*** End of File',
        '*** Delete File: c.txt',
        '*** End Patch',
      ].join('\n'),
    );
    expect(ops).toEqual([
      { kind: 'add', path: 'a.txt', lines: ['one', 'two'] },
      {
        kind: 'update',
        path: 'b.ts',
        hunks: [
          {
            header: 'function f() {',
            oldLines: ['keep', 'old', ''],
            newLines: ['keep', 'new', ''],
            atEnd: false,
          },
          { header: undefined, oldLines: ['tail'], newLines: ['TAIL'], atEnd: true },
        ],
      },
      { kind: 'delete', path: 'c.txt' },
    ]);
  });

  it('refuses malformed patches with a line number', () => {
    expect(() => parsePatch('*** Add File: a\n+x\n*** End Patch')).toThrow(/line 1: a patch starts with/);
    expect(() => parsePatch('*** Begin Patch\n*** Add File: a\n+x')).toThrow(/a patch ends with/);
    expect(() => parsePatch('*** Begin Patch\n*** Add File: a\nx\n*** End Patch')).toThrow(
      /line 3: every line/,
    );
    expect(() => parsePatch('*** Begin Patch\n*** Update File: a\n@@\n?x\n*** End Patch')).toThrow(
      /line 4: hunk lines/,
    );
    expect(() => parsePatch('*** Begin Patch\n*** Frobnicate: a\n*** End Patch')).toThrow(/line 2: expected/);
    expect(() =>
      parsePatch('*** Begin Patch\n*** Delete File: a\n*** Delete File: a\n*** End Patch'),
    ).toThrow(/more than once/);
  });
});

describe('applyHunks', () => {
  const hunk = (oldLines: string[], newLines: string[], header?: string, atEnd = false) => ({
    header,
    oldLines,
    newLines,
    atEnd,
  });

  it('applies in order, keeps CRLF and the final newline, tolerates trailing whitespace', () => {
    const text = 'a\r\nb  \r\nc\r\nd\r\n';
    expect(applyHunks(text, [hunk(['b', 'c'], ['B', 'C'])], 'f')).toBe('a\r\nB\r\nC\r\nd\r\n');
    expect(applyHunks('x\ny', [hunk([], ['z'])], 'f')).toBe('x\ny\nz');
  });

  it('uses the @@ line to disambiguate and refuses ambiguous or missing hunks', () => {
    const text = 'function a() {\n  return 1;\n}\nfunction b() {\n  return 1;\n}\n';
    expect(applyHunks(text, [hunk(['  return 1;'], ['  return 2;'], 'function b() {')], 'f')).toBe(
      'function a() {\n  return 1;\n}\nfunction b() {\n  return 2;\n}\n',
    );
    expect(() => applyHunks(text, [hunk(['  return 1;'], ['x'])], 'f')).toThrow(
      /hunk 1: matches 2 places \(lines 2, 5\)/,
    );
    expect(() => applyHunks(text, [hunk(['nope'], ['x'])], 'f')).toThrow(
      /hunk 1: the 1 context\/removed lines were not found/,
    );
    expect(() => applyHunks(text, [hunk(['x'], ['y'], 'function c')], 'f')).toThrow(
      /@@ line 'function c' was not found/,
    );
  });
});

describe('apply_patch', () => {
  it('adds (with new directories), updates and deletes files in one call', async () => {
    await writeFile(join(dir, 'b.txt'), 'alpha\nbeta\ngamma\n');
    await writeFile(join(dir, 'c.txt'), 'bye\n');
    const out = await applyPatch(
      [
        '*** Begin Patch',
        '*** Add File: new/dir/a.txt',
        '+hello',
        '*** Update File: b.txt',
        '@@',
        ' alpha',
        '-beta',
        '+BETA',
        '*** Delete File: c.txt',
        '*** End Patch',
      ].join('\n'),
    );
    expect(out.isError).toBeFalsy();
    expect(out.content).toBe('Applied patch:\nA new/dir/a.txt\nM b.txt (1 hunk)\nD c.txt');
    expect(await readFile(join(dir, 'new/dir/a.txt'), 'utf8')).toBe('hello\n');
    expect(await readFile(join(dir, 'b.txt'), 'utf8')).toBe('alpha\nBETA\ngamma\n');
    await expect(stat(join(dir, 'c.txt'))).rejects.toThrow();
  });

  it('changes nothing when any part fails', async () => {
    await writeFile(join(dir, 'b.txt'), 'one\n');
    await mkdir(join(dir, 'keep'));
    const out = await applyPatch(
      [
        '*** Begin Patch',
        '*** Add File: keep/new.txt',
        '+x',
        '*** Update File: b.txt',
        '@@',
        '-two',
        '+TWO',
        '*** End Patch',
      ].join('\n'),
    );
    expect(out.isError).toBe(true);
    expect(out.content).toMatch(/^apply_patch failed; no file was changed: 'b.txt' hunk 1/);
    await expect(stat(join(dir, 'keep/new.txt'))).rejects.toThrow();
    expect(await readFile(join(dir, 'b.txt'), 'utf8')).toBe('one\n');
  });

  it('refuses adding an existing file and updating a missing one', async () => {
    await writeFile(join(dir, 'b.txt'), 'one\n');
    const add = await applyPatch('*** Begin Patch\n*** Add File: b.txt\n+x\n*** End Patch');
    expect(add.content).toContain("'b.txt' already exists");
    const upd = await applyPatch('*** Begin Patch\n*** Update File: z.txt\n@@\n-a\n+b\n*** End Patch');
    expect(upd.content).toContain("'z.txt' does not exist");
  });
});
