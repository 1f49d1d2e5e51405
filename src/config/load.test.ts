// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about literal ${VAR} placeholders
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isCarapaceError } from '../shared/index.js';
import {
  type ConfigIssue,
  hashConfigText,
  type LoadConfigOptions,
  loadConfig,
  MAX_INCLUDE_DEPTH,
  resolvePaths,
  type StatePaths,
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

async function put(paths: StatePaths, name: string, text: string): Promise<string> {
  const file = join(paths.stateDir, name);
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, text);
  return file;
}

/** The CONFIG_INVALID error loadConfig throws, with its issues. */
async function loadError(opts: LoadConfigOptions): Promise<{ message: string; issues: ConfigIssue[] }> {
  try {
    await loadConfig(opts);
  } catch (err) {
    if (!isCarapaceError(err, 'CONFIG_INVALID')) throw err;
    expect(err.details?.path).toBe(opts.paths.configPath);
    return { message: err.message, issues: err.details?.issues as ConfigIssue[] };
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('loadConfig layers', () => {
  it('uses schema defaults when the file is missing', async () => {
    const paths = await state();
    const loaded = await loadConfig({ paths, env: {} });
    expect(loaded.exists).toBe(false);
    expect(loaded.hash).toBe(hashConfigText(''));
    expect(loaded.fileConfig).toEqual({});
    expect(loaded.includes).toEqual([]);
    expect(loaded.config.gateway.port).toBe(18789);
    expect(loaded.config.gateway.bind).toBe('loopback');
    expect(loaded.config.gateway.auth.rateLimit.maxFailures).toBe(10);
    expect(loaded.config.logging.level).toBe('info');
    expect(loaded.config.agents.list).toEqual([]);
    expect(loaded.paths).toBe(paths);
  });

  it('reads JSON5 (comments, trailing commas, unquoted keys) over the defaults', async () => {
    const paths = await state();
    const text = '// my gateway\n{ gateway: { port: 19000, }, logging: { level: "debug" }, }\n';
    await put(paths, 'carapace.json', text);
    const loaded = await loadConfig({ paths, env: {} });
    expect(loaded.exists).toBe(true);
    expect(loaded.hash).toBe(hashConfigText(text));
    expect(loaded.fileConfig).toEqual({ gateway: { port: 19000 }, logging: { level: 'debug' } });
    expect(loaded.config.gateway.port).toBe(19000);
    expect(loaded.config.gateway.bind).toBe('loopback');
    expect(loaded.config.logging.level).toBe('debug');
  });

  it('layers defaults < file < CARAPACE_* env < overrides', async () => {
    const paths = await state();
    await put(
      paths,
      'carapace.json',
      '{ gateway: { port: 19000, bind: "lan" }, logging: { level: "debug" } }',
    );
    const env = { CARAPACE_GATEWAY_PORT: '19001', CARAPACE_LOG_LEVEL: 'warn' };
    const withEnv = await loadConfig({ paths, env });
    expect(withEnv.config.gateway.port).toBe(19001);
    expect(withEnv.config.gateway.bind).toBe('lan');
    expect(withEnv.config.logging.level).toBe('warn');
    expect(withEnv.fileConfig).toEqual({
      gateway: { port: 19000, bind: 'lan' },
      logging: { level: 'debug' },
    });

    const withFlags = await loadConfig({
      paths,
      env,
      overrides: { gateway: { port: 19002, bind: undefined }, logging: { level: 'error' } },
    });
    expect(withFlags.config.gateway.port).toBe(19002);
    expect(withFlags.config.gateway.bind).toBe('lan');
    expect(withFlags.config.logging.level).toBe('error');
  });

  it('maps every documented CARAPACE_* variable', async () => {
    const paths = await state();
    const loaded = await loadConfig({
      paths,
      env: {
        CARAPACE_GATEWAY_PORT: ' 20000 ',
        CARAPACE_GATEWAY_BIND: '10.0.0.5',
        CARAPACE_GATEWAY_AUTH_MODE: 'password',
        CARAPACE_GATEWAY_TOKEN: 'tok-from-env',
        CARAPACE_GATEWAY_PASSWORD: 'pw-from-env',
        CARAPACE_LOG_LEVEL: 'trace',
      },
    });
    expect(loaded.config.gateway.port).toBe(20000);
    expect(loaded.config.gateway.bind).toBe('10.0.0.5');
    expect(loaded.config.gateway.auth.mode).toBe('password');
    expect(loaded.config.gateway.auth.token).toBe('tok-from-env');
    expect(loaded.config.gateway.auth.password).toBe('pw-from-env');
    expect(loaded.config.logging.level).toBe('trace');
    expect(loaded.fileConfig).toEqual({});
  });

  it('ignores empty CARAPACE_* variables', async () => {
    const paths = await state();
    const loaded = await loadConfig({ paths, env: { CARAPACE_GATEWAY_PORT: '', CARAPACE_LOG_LEVEL: '  ' } });
    expect(loaded.config.gateway.port).toBe(18789);
    expect(loaded.config.logging.level).toBe('info');
  });

  it('blames a bad env variable or override by name', async () => {
    const paths = await state();
    const envErr = await loadError({
      paths,
      env: { CARAPACE_GATEWAY_PORT: 'eighty', CARAPACE_LOG_LEVEL: 'loud' },
    });
    expect(envErr.issues.map((i) => i.path)).toEqual(['gateway.port', 'logging.level']);
    expect(envErr.issues[0]!.message).toContain('(from CARAPACE_GATEWAY_PORT)');
    expect(envErr.issues[1]!.message).toContain('(from CARAPACE_LOG_LEVEL)');
    const flagErr = await loadError({ paths, env: {}, overrides: { gateway: { port: 70000 } } });
    expect(flagErr.issues[0]!.path).toBe('gateway.port');
    expect(flagErr.issues[0]!.message).toContain('command-line override');
  });
});

describe('$include', () => {
  it('merges a relative include under the including file’s own keys', async () => {
    const paths = await state();
    const inc = await put(
      paths,
      'parts/gateway.json5',
      '{ gateway: { port: 19100, bind: "lan" }, logging: { level: "warn" } }',
    );
    await put(paths, 'carapace.json', '{ $include: "./parts/gateway.json5", gateway: { port: 19200 } }');
    const loaded = await loadConfig({ paths, env: {} });
    expect(loaded.config.gateway.port).toBe(19200);
    expect(loaded.config.gateway.bind).toBe('lan');
    expect(loaded.config.logging.level).toBe('warn');
    expect(loaded.includes).toEqual([inc]);
    expect(loaded.fileConfig).not.toHaveProperty('$include');
    expect(loaded.raw).toEqual({ $include: './parts/gateway.json5', gateway: { port: 19200 } });
  });

  it('merges an array of includes in order (later wins) and nests relative to each file', async () => {
    const paths = await state();
    await put(paths, 'a.json5', '{ gateway: { port: 19001, bind: "lan" } }');
    await put(paths, 'sub/b.json5', '{ $include: "deeper/c.json5", gateway: { port: 19002 } }');
    await put(
      paths,
      'sub/deeper/c.json5',
      '{ logging: { level: "trace" }, agents: { list: [{ id: "ops" }] } }',
    );
    await put(paths, 'carapace.json', '{ $include: ["a.json5", "sub/b.json5"] }');
    const loaded = await loadConfig({ paths, env: {} });
    expect(loaded.config.gateway.port).toBe(19002);
    expect(loaded.config.gateway.bind).toBe('lan');
    expect(loaded.config.logging.level).toBe('trace');
    expect(loaded.config.agents.list).toEqual([{ id: 'ops' }]);
    expect(loaded.includes.map((f) => f.slice(paths.stateDir.length + 1))).toEqual([
      'a.json5',
      'sub/b.json5',
      'sub/deeper/c.json5',
    ]);
  });

  it('reports a cycle with the whole chain', async () => {
    const paths = await state();
    await put(paths, 'a.json5', '{ $include: "b.json5" }');
    await put(paths, 'b.json5', '{ $include: "a.json5" }');
    await put(paths, 'carapace.json', '{ $include: "a.json5" }');
    const { issues, message } = await loadError({ paths, env: {} });
    expect(issues[0]!.path).toBe('$include');
    const a = join(paths.stateDir, 'a.json5');
    const b = join(paths.stateDir, 'b.json5');
    expect(issues[0]!.message).toBe(`include cycle: ${paths.configPath} -> ${a} -> ${b} -> ${a}`);
    expect(message).toContain(paths.configPath);
  });

  it('reports a self-include as a cycle', async () => {
    const paths = await state();
    await put(paths, 'carapace.json', '{ $include: "carapace.json" }');
    const { issues } = await loadError({ paths, env: {} });
    expect(issues[0]!.message).toMatch(/^include cycle: /);
  });

  it('reports a missing included file with the chain and a hint', async () => {
    const paths = await state();
    await put(paths, 'a.json5', '{ $include: "nope.json5" }');
    await put(paths, 'carapace.json', '{ $include: "a.json5" }');
    const { issues } = await loadError({ paths, env: {} });
    expect(issues[0]!.path).toBe('$include');
    expect(issues[0]!.message).toContain(
      `cannot read included file ${join(paths.stateDir, 'nope.json5')} (ENOENT)`,
    );
    expect(issues[0]!.message).toContain(
      `${join(paths.stateDir, 'a.json5')} -> ${join(paths.stateDir, 'nope.json5')}`,
    );
    expect(issues[0]!.hint).toContain('relative paths are resolved from the including file');
  });

  it(`refuses includes nested deeper than ${MAX_INCLUDE_DEPTH}`, async () => {
    const paths = await state();
    for (let i = 0; i <= MAX_INCLUDE_DEPTH + 1; i++)
      await put(paths, `l${i}.json5`, `{ $include: "l${i + 1}.json5" }`);
    await put(paths, `l${MAX_INCLUDE_DEPTH + 2}.json5`, '{}');
    await put(paths, 'carapace.json', '{ $include: "l1.json5" }');
    const { issues } = await loadError({ paths, env: {} });
    expect(issues[0]!.message).toContain(`includes nest deeper than ${MAX_INCLUDE_DEPTH} levels`);
    expect(issues[0]!.message).toContain('l1.json5 -> ');
  });

  it(`accepts exactly ${MAX_INCLUDE_DEPTH} levels`, async () => {
    const paths = await state();
    for (let i = 1; i < MAX_INCLUDE_DEPTH; i++)
      await put(paths, `l${i}.json5`, `{ $include: "l${i + 1}.json5" }`);
    await put(paths, `l${MAX_INCLUDE_DEPTH}.json5`, '{ gateway: { port: 1234 } }');
    await put(paths, 'carapace.json', '{ $include: "l1.json5" }');
    const loaded = await loadConfig({ paths, env: {} });
    expect(loaded.config.gateway.port).toBe(1234);
    expect(loaded.includes).toHaveLength(MAX_INCLUDE_DEPTH);
  });

  it('names the included file and the chain for a syntax error inside it', async () => {
    const paths = await state();
    const inc = await put(paths, 'bad.json5', '{\n  gateway: { port: 1 \n');
    await put(paths, 'carapace.json', '{ $include: "bad.json5" }');
    const { issues } = await loadError({ paths, env: {} });
    expect(issues[0]!.message).toContain(`JSON5 syntax error in ${inc} at line 3`);
    expect(issues[0]!.message).toContain(`include chain: ${paths.configPath} -> ${inc}`);
  });

  it('rejects a $include that is not a path or list of paths, and a nested $include', async () => {
    const paths = await state();
    await put(paths, 'carapace.json', '{ $include: 42 }');
    expect((await loadError({ paths, env: {} })).issues[0]!.path).toBe('$include');
    await put(paths, 'carapace.json', '{ gateway: { $include: "x.json5" } }');
    const nested = await loadError({ paths, env: {} });
    expect(nested.issues[0]!.path).toBe('gateway.$include');
    expect(nested.issues[0]!.hint).toContain('only allowed at the top level');
  });
});

describe('${VAR} substitution', () => {
  it('replaces variables in strings, in included files too, and unescapes $${X}', async () => {
    const paths = await state();
    await put(paths, 'inc.json5', '{ logging: { redactPatterns: ["${PATTERN}-x"] } }');
    await put(
      paths,
      'carapace.json',
      '{ $include: "inc.json5", gateway: { bind: "${BIND_ADDR}", auth: { token: "pre-${TOK}-post" } }, agents: { list: [{ id: "a", name: "$${NOT_A_VAR} and ${WHO}" }] } }',
    );
    const env = { BIND_ADDR: '127.0.0.2', TOK: 'secret', WHO: 'me', PATTERN: 'sk' };
    const loaded = await loadConfig({ paths, env });
    expect(loaded.config.gateway.bind).toBe('127.0.0.2');
    expect(loaded.config.gateway.auth.token).toBe('pre-secret-post');
    expect(loaded.config.agents.list[0]!.name).toBe('${NOT_A_VAR} and me');
    expect(loaded.config.logging.redactPatterns).toEqual(['sk-x']);
    expect(loaded.raw.gateway).toEqual({ bind: '${BIND_ADDR}', auth: { token: 'pre-${TOK}-post' } });
  });

  it('reports every missing variable at its path', async () => {
    const paths = await state();
    await put(
      paths,
      'carapace.json',
      '{ gateway: { bind: "${NO_BIND}" }, agents: { list: [{ id: "a", model: "${NO_MODEL}" }] } }',
    );
    const { issues, message } = await loadError({ paths, env: { EMPTY: '' } });
    expect(issues.map((i) => i.path)).toEqual(['gateway.bind', 'agents.list[0].model']);
    expect(issues[0]!.message).toBe('environment variable NO_BIND is not set (referenced as ${NO_BIND})');
    expect(issues[0]!.hint).toContain('$${NO_BIND}');
    expect(message.split('\n')).toHaveLength(3);
  });

  it('treats an empty variable as missing', async () => {
    const paths = await state();
    await put(paths, 'carapace.json', '{ gateway: { bind: "${EMPTY}" } }');
    const { issues } = await loadError({ paths, env: { EMPTY: '' } });
    expect(issues[0]!.message).toContain('EMPTY is not set');
  });
});
