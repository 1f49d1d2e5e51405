import { createHash } from 'node:crypto';
import {
  link,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentTool, ToolOutput } from '../agent/index.js';
import { createFsTools } from './fs-tools.js';

// SEC-05 (quick size): every path payload against every path-typed parameter of every file tool.
const ctx = { sessionKey: 'agent:main:main', agentId: 'main', runId: 'r', toolCallId: 't' };
const CANARY = `CANARY-${process.pid}-7f3a9c`;
let dir: string;
let ws: string;
let outside: string;
let tools: AgentTool[];
const outputs: string[] = [];

async function call(name: string, args: Record<string, unknown>): Promise<ToolOutput> {
  const out = await tools.find((t) => t.name === name)!.execute(args, ctx, new AbortController().signal);
  outputs.push(typeof out.content === 'string' ? out.content : JSON.stringify(out.content));
  return out;
}

/** Every file under `root` except the workspace, with a hash of its content. */
async function snapshot(root: string): Promise<Map<string, string>> {
  const seen = new Map<string, string>();
  async function visit(d: string): Promise<void> {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (p === ws) continue;
      if (e.isDirectory()) await visit(p);
      else if (e.isFile())
        seen.set(
          relative(root, p),
          createHash('sha256')
            .update(await readFile(p))
            .digest('hex'),
        );
      else seen.set(relative(root, p), 'link');
    }
  }
  await visit(root);
  return seen;
}

const patch = (body: string) => `*** Begin Patch\n${body}\n*** End Patch`;

/** Each path-typed parameter of each file tool, aimed at `p`. */
const OPERATIONS: [string, (p: string) => Record<string, unknown>][] = [
  ['read', (p) => ({ path: p })],
  ['write', (p) => ({ path: p, content: 'PWNED' })],
  ['edit', (p) => ({ path: p, old_string: CANARY, new_string: 'PWNED' })],
  ['apply_patch', (p) => ({ patch: patch(`*** Update File: ${p}\n@@\n-${CANARY}\n+PWNED`) })],
  ['apply_patch', (p) => ({ patch: patch(`*** Add File: ${p}\n+PWNED`) })],
  ['apply_patch', (p) => ({ patch: patch(`*** Delete File: ${p}`) })],
  ['ls', (p) => ({ path: p })],
  ['find', (p) => ({ pattern: '*', path: p })],
  ['grep', (p) => ({ pattern: 'CANARY', path: p })],
];

function payloads(): string[] {
  const abs = join(outside, 'secret.txt');
  return [
    // dot segments
    '../outside/secret.txt',
    './../outside/secret.txt',
    'sub/../../outside/secret.txt',
    'sub/./../../outside/secret.txt',
    '..//outside//secret.txt',
    '../outside/./secret.txt',
    '../ws-evil/secret.txt',
    '..',
    '../',
    'sub/../..',
    `${'../'.repeat(40)}${abs.slice(1)}`,
    `${'a/../'.repeat(400)}../outside/secret.txt`,
    // encoded forms
    '%2e%2e/outside/secret.txt',
    '%2E%2E%2Foutside%2Fsecret.txt',
    '..%2foutside%2fsecret.txt',
    '%252e%252e/outside/secret.txt',
    '..%5coutside%5csecret.txt',
    '.%2e/outside/secret.txt',
    '%c0%ae%c0%ae/outside/secret.txt',
    '..%00/outside/secret.txt',
    // backslashes and ambiguous dots
    '..\\outside\\secret.txt',
    'sub\\..\\..\\outside\\secret.txt',
    '..\\/outside/secret.txt',
    '.. /outside/secret.txt',
    '.../outside/secret.txt',
    ' ../outside/secret.txt',
    '..../outside/secret.txt',
    // absolute, home, drive, UNC, URL
    abs,
    join(ws, '../outside/secret.txt'),
    join(dir, 'ws-evil/secret.txt'),
    '/etc/passwd',
    '//etc/passwd',
    '/proc/self/environ',
    '/proc/self/root/etc/passwd',
    '~',
    '~/.ssh/id_rsa',
    '~root/.bashrc',
    'C:\\Windows\\win.ini',
    'C:/Windows/win.ini',
    '\\\\server\\share\\secret.txt',
    'file:///etc/passwd',
    // control, invisible, bidi characters
    'secret.txt\u0000.png',
    '../outside/secret.txt\u0000',
    'a\nb',
    '\u202e../outside/secret.txt',
    '\ufeff../outside/secret.txt',
    '..\u200b/outside/secret.txt',
    '\u001b[31m../outside',
    // symlinks, chains, hard links
    'link-out',
    'link-out/secret.txt',
    'link-out/new.txt',
    'link-out/newdir/new.txt',
    'link-file',
    'link-abs',
    'chain-1',
    'chain-dir/secret.txt',
    'sub/up/outside/secret.txt',
    'dangling-out',
    'loop-a',
    'link-root/etc/passwd',
    'link-evil/secret.txt',
    'hard.txt',
    // long paths
    'a/'.repeat(2100),
    `${'x'.repeat(300)}/f.txt`,
  ];
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-fence-'));
  ws = join(dir, 'ws');
  outside = join(dir, 'outside');
  await mkdir(join(ws, 'sub'), { recursive: true });
  await mkdir(outside);
  await mkdir(join(dir, 'ws-evil'));
  await writeFile(join(outside, 'secret.txt'), `${CANARY}\n`);
  await writeFile(join(outside, 'hard-secret.txt'), `${CANARY}\n`);
  await writeFile(join(dir, 'ws-evil/secret.txt'), `${CANARY}\n`);
  await symlink(outside, join(ws, 'link-out'));
  await symlink('../outside/secret.txt', join(ws, 'link-file'));
  await symlink(join(outside, 'secret.txt'), join(ws, 'link-abs'));
  await symlink('chain-2', join(ws, 'chain-1'));
  await symlink('chain-3', join(ws, 'chain-2'));
  await symlink('link-file', join(ws, 'chain-3'));
  await symlink('link-out', join(ws, 'chain-dir'));
  await symlink('../..', join(ws, 'sub/up'));
  await symlink(join(outside, 'not-yet.txt'), join(ws, 'dangling-out'));
  await symlink('loop-b', join(ws, 'loop-a'));
  await symlink('loop-a', join(ws, 'loop-b'));
  await symlink('/', join(ws, 'link-root'));
  await symlink(join(dir, 'ws-evil'), join(ws, 'link-evil'));
  await link(join(outside, 'hard-secret.txt'), join(ws, 'hard.txt'));
  tools = createFsTools({ workspaceDir: ws });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('SEC-05 traversal battery', () => {
  it(`refuses every payload on every path parameter and leaves the outside untouched`, async () => {
    const before = await snapshot(dir);
    const list = payloads();
    expect(list.length).toBeGreaterThanOrEqual(60);
    const accepted: string[] = [];
    for (const p of list) {
      for (const [name, args] of OPERATIONS) {
        const out = await call(name, args(p));
        if (!out.isError)
          accepted.push(`${name} ${JSON.stringify(p).slice(0, 80)}: ${String(out.content).slice(0, 80)}`);
      }
    }
    expect(accepted).toEqual([]);
    expect(await snapshot(dir)).toEqual(before);
    expect(outputs.filter((o) => o.includes(CANARY))).toEqual([]);
    expect(outputs.length).toBe(list.length * OPERATIONS.length);
  });

  it('names the reason: outside the workspace, symlink, hard link, invalid text', async () => {
    const reason = async (p: string) => String((await call('read', { path: p })).content);
    expect(await reason('../outside/secret.txt')).toContain('outside the workspace');
    expect(await reason('link-file')).toContain('outside the workspace');
    expect(await reason('dangling-out')).toMatch(/symbolic link|outside the workspace/);
    expect(await reason('hard.txt')).toContain('hard links');
    expect(await reason('%2e%2e/x')).toContain('percent-encoded');
    expect(await reason('a\u0000b')).toContain('control character (U+0000)');
    expect(await reason('..\\x')).toContain('backslash');
    expect(await reason('a/'.repeat(2100))).toContain('too long');
  });

  it('survives a directory ↔ symlink swap race without reading or writing outside', async () => {
    await mkdir(join(ws, 'swap'));
    await writeFile(join(ws, 'swap/secret.txt'), 'inside\n');
    const before = await snapshot(dir);
    let stop = false;
    // `write` makes missing parent folders, so while `swap` is moved away it may come back as a real
    // folder (inside the workspace: allowed). The swapper clears such a folder and goes on.
    const clear = () => rm(join(ws, 'swap'), { recursive: true, force: true });
    const swapper = (async () => {
      try {
        for (let i = 0; i < 150; i++) {
          await rename(join(ws, 'swap'), join(ws, 'swap-real'));
          try {
            await symlink(outside, join(ws, 'swap'));
          } catch {
            await clear();
            await symlink(outside, join(ws, 'swap'));
          }
          await clear();
          for (let tries = 0; ; tries++) {
            try {
              await rename(join(ws, 'swap-real'), join(ws, 'swap'));
              break;
            } catch (err) {
              if (tries > 20) throw err;
              await clear();
            }
          }
        }
      } finally {
        stop = true;
      }
    })();
    let runs = 0;
    while (!stop) {
      await call('read', { path: 'swap/secret.txt' });
      await call('write', { path: 'swap/secret.txt', content: 'inside\n' });
      await call('grep', { pattern: 'CANARY', path: 'swap' });
      runs++;
    }
    await swapper;
    expect(runs).toBeGreaterThan(0);
    expect(outputs.filter((o) => o.includes(CANARY))).toEqual([]);
    expect(await snapshot(dir)).toEqual(before);
    expect((await stat(join(outside, 'secret.txt'))).size).toBe(CANARY.length + 1);
  }, 120_000); // 150 swaps against live tool calls: slow on a loaded 2-core machine
});
