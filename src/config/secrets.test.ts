import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { collectConfigSecrets, findConfigSecrets, validateConfig } from './index.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('config secrets for the redactor', () => {
  it('finds inline secrets and refs at x-secret nodes and secret-looking keys, at any depth', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'carapace-secrets-'));
    dirs.push(dir);
    await writeFile(join(dir, 'hook'), 'hook-secret-from-file\n');
    const checked = validateConfig({
      gateway: { auth: { token: 'inline-gateway-token' } },
      hooks: { enabled: true, token: { source: 'file', path: join(dir, 'hook') } },
      models: {
        providers: {
          p: {
            baseUrl: 'http://127.0.0.1:1/v1',
            api: 'openai-chat',
            apiKey: { source: 'env', id: 'P_KEY' },
            models: [{ id: 'm', contextWindow: 1000, maxTokens: 100 }],
          },
        },
      },
    });
    if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
    const config = { ...checked.config, extra: { deep: { botToken: 'bot-token-nested' } } };
    const paths = findConfigSecrets(config).map((s) => s.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'gateway.auth.token',
        'hooks.token',
        'models.providers.p.apiKey',
        'extra.deep.botToken',
      ]),
    );
    const values = await collectConfigSecrets(config, { P_KEY: 'provider-key-from-env' });
    expect(values.sort()).toEqual(
      ['bot-token-nested', 'hook-secret-from-file', 'inline-gateway-token', 'provider-key-from-env'].sort(),
    );
  });

  it('skips refs that cannot be resolved and ordinary strings', async () => {
    const checked = validateConfig({ gateway: { auth: { token: { source: 'env', id: 'MISSING_X' } } } });
    if (!checked.ok) throw new Error('valid');
    expect(await collectConfigSecrets(checked.config, {})).toEqual([]);
    expect(findConfigSecrets(checked.config).map((s) => s.path)).toEqual(['gateway.auth.token']);
  });
});
