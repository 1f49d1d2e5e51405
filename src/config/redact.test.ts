import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isCarapaceError } from '../shared/index.js';
import { REDACTED, redactConfig, resolveSecret, validateConfig } from './index.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const SECRETS = [
  's3cret-token',
  's3cret-pass',
  'bot-123',
  'xapp-9',
  'sign-7',
  'sk-live-1',
  'pk-----',
  'nested-sec',
];

describe('redactConfig', () => {
  it('leaves no secret string anywhere, keeps refs and ordinary values', () => {
    const checked = validateConfig({
      gateway: { auth: { token: 's3cret-token', password: { source: 'env', id: 'GW_PASSWORD' } } },
    });
    if (!checked.ok) throw new Error('base config must be valid');
    const input = {
      ...checked.config,
      channels: {
        telegram: { botToken: 'bot-123', appToken: 'xapp-9', SigningSecret: 'sign-7', name: 'tg' },
        slack: { api_key: 'sk-live-1', privateKey: 'pk-----', password: 's3cret-pass' },
        custom: { secrets: ['nested-sec'], tokenFile: { source: 'file', path: '/run/tok' } },
      },
      providers: [{ apiKey: { source: 'env', id: 'OPENAI_API_KEY' } }, { APIKEY: { value: 'nested-sec' } }],
    };
    const before = JSON.stringify(input);
    const out = redactConfig(input);
    const text = JSON.stringify(out);
    for (const s of SECRETS) expect(text).not.toContain(s);
    expect(JSON.stringify(input)).toBe(before);
    expect(out.gateway.auth.token).toBe(REDACTED);
    expect(out.gateway.auth.password).toEqual({ source: 'env', id: 'GW_PASSWORD' });
    expect(out.channels.telegram).toEqual({
      botToken: REDACTED,
      appToken: REDACTED,
      SigningSecret: REDACTED,
      name: 'tg',
    });
    expect(out.channels.custom.tokenFile).toEqual({ source: 'file', path: '/run/tok' });
    expect(out.providers[0]).toEqual({ apiKey: { source: 'env', id: 'OPENAI_API_KEY' } });
    expect(out.gateway.bind).toBe('loopback');
    expect(out.gateway.port).toBe(18789);
  });

  it('redacts by schema annotation even under a key that does not look secret', () => {
    // gateway.auth.token is x-secret in the schema; an object that only pretends to be a ref is not kept.
    const out = redactConfig({
      gateway: { auth: { token: { source: 'env', id: 'X', leak: 'nested-sec' } } },
    });
    expect(JSON.stringify(out)).not.toContain('nested-sec');
  });
});

describe('resolveSecret', () => {
  it('returns inline strings, env values and trimmed file contents', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'carapace-secret-'));
    dirs.push(dir);
    await writeFile(join(dir, 'tok'), '  file-secret\n');
    expect(await resolveSecret('inline', {})).toBe('inline');
    expect(await resolveSecret({ source: 'env', id: 'TOK' }, { TOK: 'env-secret' })).toBe('env-secret');
    expect(await resolveSecret({ source: 'file', path: join(dir, 'tok') }, {})).toBe('file-secret');
    expect(await resolveSecret({ source: 'file', path: '~/tok' }, { HOME: dir })).toBe('file-secret');
    const fake = async (p: string) => `from ${p}`;
    expect(await resolveSecret({ source: 'file', path: '/x' }, {}, fake)).toBe('from /x');
  });

  it('throws SECRET_UNRESOLVED naming the missing variable or file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'carapace-secret-'));
    dirs.push(dir);
    await writeFile(join(dir, 'empty'), '\n');
    const cases: [Parameters<typeof resolveSecret>[0], RegExp][] = [
      [{ source: 'env', id: 'NOPE' }, /environment variable NOPE is not set/],
      [{ source: 'file', path: join(dir, 'missing') }, /file .*missing does not exist/],
      [{ source: 'file', path: join(dir, 'empty') }, /file .*empty is empty/],
    ];
    for (const [ref, pattern] of cases) {
      const err = await resolveSecret(ref, { NOPE: '' }).catch((e: unknown) => e);
      expect(isCarapaceError(err, 'SECRET_UNRESOLVED')).toBe(true);
      expect((err as Error).message).toMatch(pattern);
    }
  });
});
