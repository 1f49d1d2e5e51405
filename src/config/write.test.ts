// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about literal ${VAR} placeholders
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isCarapaceError } from '../shared/index.js';
import {
  applyMergePatch,
  type ConfigIssue,
  hashConfigText,
  loadConfig,
  resolvePaths,
  type StatePaths,
  writeConfigFile,
} from './index.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function state(): Promise<StatePaths> {
  const dir = await mkdtemp(join(tmpdir(), 'carapace-config-'));
  dirs.push(dir);
  return resolvePaths({ stateDir: dir }, { HOME: dir });
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('writeConfigFile', () => {
  it('writes pretty JSON with mode 0600 and returns the new hash', async () => {
    const paths = await state();
    const next = { gateway: { port: 19000 } };
    const written = await writeConfigFile(paths, next, { baseHash: hashConfigText('') });
    const text = await readFile(paths.configPath, 'utf8');
    expect(text).toBe('{\n  "gateway": {\n    "port": 19000\n  }\n}\n');
    expect(written.hash).toBe(hashConfigText(text));
    expect(written.backupPath).toBeUndefined();
    expect((await stat(paths.configPath)).mode & 0o777).toBe(0o600);
    const loaded = await loadConfig({ paths, env: {} });
    expect(loaded.hash).toBe(written.hash);
    expect(loaded.config.gateway.port).toBe(19000);
  });

  it('keeps the previous file as carapace.json.bak (0600)', async () => {
    const paths = await state();
    const before = '// old\n{ gateway: { port: 1 } }\n';
    await writeFile(paths.configPath, before, { mode: 0o644 });
    const written = await writeConfigFile(paths, { gateway: { port: 2 } });
    expect(written.backupPath).toBe(`${paths.configPath}.bak`);
    expect(await readFile(`${paths.configPath}.bak`, 'utf8')).toBe(before);
    expect((await stat(`${paths.configPath}.bak`)).mode & 0o777).toBe(0o600);
    expect((await stat(paths.configPath)).mode & 0o777).toBe(0o600);
  });

  it('refuses an invalid config with every issue and leaves the file byte-for-byte alone', async () => {
    const paths = await state();
    const before = Buffer.from('{ gateway: { port: 1 } } // keep me\n');
    await writeFile(paths.configPath, before);
    const err = await rejection(
      writeConfigFile(paths, {
        gateway: { port: 'x', bnd: 'lan' },
        bindings: [{ agentId: 'ghost', match: {} }],
      }),
    );
    expect(isCarapaceError(err, 'CONFIG_INVALID')).toBe(true);
    const issues = (err as { details: { issues: ConfigIssue[] } }).details.issues;
    expect(issues.map((i) => i.path).sort()).toEqual(['bindings[0].agentId', 'gateway.bnd', 'gateway.port']);
    expect((await readFile(paths.configPath)).equals(before)).toBe(true);
    await expect(stat(`${paths.configPath}.bak`)).rejects.toThrow(/ENOENT/);
  });

  it('refuses a stale baseHash with expected and actual, writing nothing', async () => {
    const paths = await state();
    await writeFile(paths.configPath, '{}');
    const stale = hashConfigText('{}');
    await writeFile(paths.configPath, '{ gateway: { port: 5 } }');
    const err = await rejection(writeConfigFile(paths, { gateway: { port: 6 } }, { baseHash: stale }));
    expect(isCarapaceError(err, 'CONFIG_HASH_MISMATCH')).toBe(true);
    expect((err as { details: unknown }).details).toEqual({
      expected: stale,
      actual: hashConfigText('{ gateway: { port: 5 } }'),
    });
    expect(await readFile(paths.configPath, 'utf8')).toBe('{ gateway: { port: 5 } }');
  });

  it('treats a missing file as the hash of the empty string', async () => {
    const paths = await state();
    const err = await rejection(writeConfigFile(paths, {}, { baseHash: hashConfigText('{}') }));
    expect(isCarapaceError(err, 'CONFIG_HASH_MISMATCH')).toBe(true);
    await expect(stat(paths.configPath)).rejects.toThrow(/ENOENT/);
  });

  it('keeps $include and ${VAR} as written, validating what they resolve to', async () => {
    const paths = await state();
    await writeFile(join(paths.stateDir, 'agents.json5'), '{ agents: { list: [{ id: "ops" }] } }');
    const next = {
      $include: './agents.json5',
      bindings: [{ agentId: 'ops', match: {} }],
      gateway: { bind: '${BIND}' },
    };
    await writeConfigFile(paths, next, { env: { BIND: 'lan' } });
    expect(JSON.parse(await readFile(paths.configPath, 'utf8'))).toEqual(next);
    const missing = await rejection(writeConfigFile(paths, next, { env: {} }));
    expect((missing as { details: { issues: ConfigIssue[] } }).details.issues[0]!.path).toBe('gateway.bind');
  });
});

describe('applyMergePatch (RFC 7396)', () => {
  it('merges objects, deletes with null, replaces arrays and scalars, and leaves inputs alone', () => {
    const target = { a: 'b', c: { d: 'e', f: 'g' }, list: [1, 2] };
    const patch = { a: 'z', c: { f: null, h: 1 }, list: [3], n: { deep: null } };
    expect(applyMergePatch(target, patch)).toEqual({ a: 'z', c: { d: 'e', h: 1 }, list: [3], n: {} });
    expect(target).toEqual({ a: 'b', c: { d: 'e', f: 'g' }, list: [1, 2] });
  });

  it('follows the RFC examples at the edges', () => {
    expect(applyMergePatch({ a: 'b' }, { a: 'c' })).toEqual({ a: 'c' });
    expect(applyMergePatch({ a: 'b' }, { b: 'c' })).toEqual({ a: 'b', b: 'c' });
    expect(applyMergePatch({ a: 'b' }, { a: null })).toEqual({});
    expect(applyMergePatch({ a: ['b'] }, { a: 'c' })).toEqual({ a: 'c' });
    expect(applyMergePatch({ a: 'c' }, { a: ['b'] })).toEqual({ a: ['b'] });
    expect(applyMergePatch({ a: [{ b: 'c' }] }, { a: [1] })).toEqual({ a: [1] });
    expect(applyMergePatch(['a', 'b'], ['c', 'd'])).toEqual(['c', 'd']);
    expect(applyMergePatch({ a: 'b' }, ['c'])).toEqual(['c']);
    expect(applyMergePatch({ a: 'foo' }, null)).toBeNull();
    expect(applyMergePatch({ a: 'foo' }, 'bar')).toBe('bar');
    expect(applyMergePatch({ e: null }, { a: 1 })).toEqual({ e: null, a: 1 });
    expect(applyMergePatch([1, 2], { a: 'b', c: null })).toEqual({ a: 'b' });
    expect(applyMergePatch({}, { a: { bb: { ccc: null } } })).toEqual({ a: { bb: {} } });
  });

  it('cannot pollute prototypes', () => {
    const patch = JSON.parse('{ "__proto__": { "polluted": 1 } }');
    const out = applyMergePatch({}, patch) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
