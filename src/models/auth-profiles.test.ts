import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModelProvider } from '../config/index.js';
import { CooldownBook, loadProviderKeys } from './auth-profiles.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-keys-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const read = (p: string) => readFile(p, 'utf8');
const provider = (extra: Partial<ModelProvider>): ModelProvider => ({
  api: 'openai-chat',
  models: [{ id: 'm', contextWindow: 10, maxTokens: 10 }],
  ...extra,
});

describe('provider keys', () => {
  it('resolves apiKey, apiKeys and the agent profiles file, in that order', async () => {
    await writeFile(join(dir, 'key.txt'), 'sk-from-file\n');
    const profilesPath = join(dir, 'auth-profiles.json');
    await writeFile(
      profilesPath,
      JSON.stringify({
        version: 1,
        profiles: [
          { id: 'work', provider: 'openai', apiKey: 'sk-work' },
          { id: 'other', provider: 'anthropic', apiKey: 'sk-ant' },
        ],
      }),
    );
    const keys = await loadProviderKeys({
      providerId: 'openai',
      provider: provider({
        apiKey: { source: 'env', id: 'OPENAI_KEY' },
        apiKeys: [{ source: 'file', path: join(dir, 'key.txt') }, 'sk-inline'],
      }),
      env: { OPENAI_KEY: 'sk-from-env' },
      readFile: read,
      profilesPath,
    });
    expect(keys.problems).toEqual([]);
    expect(keys.profiles).toEqual([
      { id: 'openai:apiKey', providerId: 'openai', apiKey: 'sk-from-env' },
      { id: 'openai:apiKeys[0]', providerId: 'openai', apiKey: 'sk-from-file' },
      { id: 'openai:apiKeys[1]', providerId: 'openai', apiKey: 'sk-inline' },
      { id: 'openai:work', providerId: 'openai', apiKey: 'sk-work' },
    ]);
  });

  it('reports unresolvable refs and invalid profile files without the secret, and keyless providers', async () => {
    const profilesPath = join(dir, 'auth-profiles.json');
    await writeFile(
      profilesPath,
      JSON.stringify({ version: 1, profiles: [{ id: 'x', provider: 'openai' }] }),
    );
    const keys = await loadProviderKeys({
      providerId: 'openai',
      provider: provider({ apiKey: { source: 'env', id: 'MISSING_KEY' } }),
      env: {},
      readFile: read,
      profilesPath,
    });
    expect(keys.profiles).toEqual([]);
    expect(keys.problems[0]).toContain('MISSING_KEY');
    expect(keys.problems[1]).toContain("missing required property 'apiKey'");
    const keyless = await loadProviderKeys({
      providerId: 'local',
      provider: provider({}),
      env: {},
      readFile: read,
      profilesPath: join(dir, 'nope.json'),
    });
    expect(keyless).toEqual({
      profiles: [{ id: 'local:none', providerId: 'local', apiKey: undefined }],
      problems: [],
    });
  });

  it('rests keys until their cooldown passes, never shortening a longer rest', () => {
    const book = new CooldownBook();
    book.rest('a', 1000, 'rate_limit');
    book.rest('a', 500, 'auth');
    expect(book.resting('a', 999)).toBe(true);
    expect(book.list(0)).toEqual([{ profile: 'a', until: 1000, reason: 'rate_limit' }]);
    expect(book.resting('a', 1000)).toBe(false);
    expect(book.list(0)).toEqual([]);
  });
});
