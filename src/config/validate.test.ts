import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isCarapaceError } from '../shared/index.js';
import {
  type ConfigIssue,
  formatConfigIssues,
  loadConfig,
  MAX_CONFIG_BYTES,
  parseConfigText,
  resolvePaths,
  type StatePaths,
  validateConfig,
} from './index.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function withFile(text: string): Promise<StatePaths> {
  const dir = await mkdtemp(join(tmpdir(), 'carapace-config-'));
  dirs.push(dir);
  const paths = resolvePaths({ stateDir: dir }, { HOME: dir });
  await writeFile(paths.configPath, text);
  return paths;
}

async function fileIssues(text: string): Promise<{ message: string; issues: ConfigIssue[]; file: string }> {
  const paths = await withFile(text);
  try {
    await loadConfig({ paths, env: {} });
  } catch (err) {
    if (!isCarapaceError(err, 'CONFIG_INVALID')) throw err;
    return { message: err.message, issues: err.details?.issues as ConfigIssue[], file: paths.configPath };
  }
  throw new Error('expected CONFIG_INVALID');
}

function issuesOf(value: unknown): ConfigIssue[] {
  const result = validateConfig(value);
  if (result.ok) throw new Error('expected issues');
  return result.issues;
}

function at(issues: ConfigIssue[], path: string): ConfigIssue {
  const found = issues.find((i) => i.path === path);
  if (!found) throw new Error(`no issue at ${path}: ${JSON.stringify(issues)}`);
  return found;
}

describe('validateConfig', () => {
  it('accepts {} and fills every default without touching the input', () => {
    const input = { gateway: { port: 1 } };
    const result = validateConfig(input);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.gateway.port).toBe(1);
    expect(result.config.session.reset.atHour).toBe(4);
    expect(result.config.messages.queue.drop).toBe('summarize');
    expect(input).toEqual({ gateway: { port: 1 } });
  });

  it('suggests the closest key for an unknown key and lists the allowed ones', () => {
    const issue = at(issuesOf({ gateway: { prot: 1 } }), 'gateway.prot');
    expect(issue.message).toBe("unknown key 'prot'");
    expect(issue.hint).toContain("did you mean 'port'?");
    expect(issue.hint).toContain('allowed keys in gateway: port, bind, auth');
    const top = at(issuesOf({ sesion: {} }), 'sesion');
    expect(top.hint).toContain("did you mean 'session'?");
    expect(top.hint).toContain('allowed keys in the top level:');
    const wild = at(issuesOf({ gateway: { zzzzzz: 1 } }), 'gateway.zzzzzz');
    expect(wild.hint).not.toContain('did you mean');
  });

  it('names the expected type with an example', () => {
    const issues = issuesOf({
      gateway: { port: '18789', controlUi: { enabled: 'yes', allowedOrigins: 'x' } },
    });
    expect(at(issues, 'gateway.port').message).toBe('must be an integer, got a string ("18789")');
    expect(at(issues, 'gateway.port').hint).toBe('e.g. 18789');
    expect(at(issues, 'gateway.controlUi.enabled').message).toBe(
      'must be true or false, got a string ("yes")',
    );
    expect(at(issues, 'gateway.controlUi.allowedOrigins').message).toContain('must be a list');
    expect(at(issuesOf({ gateway: { port: 1.5 } }), 'gateway.port').message).toBe(
      'must be a whole number, got 1.5',
    );
  });

  it('lists the allowed values of an enum, with a guess', () => {
    const issue = at(issuesOf({ logging: { level: 'warning' } }), 'logging.level');
    expect(issue.message).toBe('"warning" is not an allowed value');
    expect(issue.hint).toBe(
      "did you mean 'warn'? allowed values: 'fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'",
    );
  });

  it('reports values out of range with the allowed range', () => {
    const issues = issuesOf({ gateway: { port: 70000 }, session: { reset: { atHour: -1 } } });
    expect(at(issues, 'gateway.port').message).toBe('70000 is out of range');
    expect(at(issues, 'gateway.port').hint).toBe('must be >= 0 and <= 65535 (default 18789)');
    expect(at(issues, 'session.reset.atHour').hint).toContain('>= 0 and <= 23');
  });

  it('reports a bad pattern, an empty string and a missing required key', () => {
    const issues = issuesOf({
      agents: { list: [{ id: 'Bad Id' }, {}] },
      bindings: [{ agentId: '', match: {} }],
    });
    expect(at(issues, 'agents.list[0].id').hint).toBe('lowercase letters, digits, - and _');
    expect(at(issues, 'agents.list[1].id').message).toBe("missing required key 'id'");
    expect(at(issues, 'bindings[0].agentId').message).toBe('must not be empty');
  });

  it('explains a secret of the wrong shape without echoing it', () => {
    const issues = issuesOf({
      gateway: { auth: { token: 12345678, password: { source: 'env', id: 'bad name' } } },
    });
    const token = at(issues, 'gateway.auth.token');
    expect(token.message).toBe(
      'must be a string or { source: "env", id } or { source: "file", path }, got a number',
    );
    expect(token.hint).toContain('{ source: "env", id: "…" }');
    expect(JSON.stringify(issues)).not.toContain('12345678');
    expect(at(issues, 'gateway.auth.password.id').message).toContain('wrong format');
  });

  it('rejects duplicate agent ids, two defaults and dangling binding agentIds', () => {
    const issues = issuesOf({
      agents: { list: [{ id: 'ops', default: true }, { id: 'dev', default: true }, { id: 'ops' }] },
      bindings: [
        { agentId: 'dev', match: {} },
        { agentId: 'opz', match: { channel: 'telegram' } },
      ],
    });
    expect(at(issues, 'agents.list[2].id').message).toBe(
      "duplicate agent id 'ops' (also at agents.list[0].id)",
    );
    expect(at(issues, 'agents.list[1].default').message).toContain('more than one agent has default: true');
    const dangling = at(issues, 'bindings[1].agentId');
    expect(dangling.message).toBe("unknown agent 'opz'");
    expect(dangling.hint).toBe("did you mean 'ops'? known agents (agents.list): 'ops', 'dev'");
    expect(issues.map((i) => i.path)).not.toContain('bindings[0].agentId');
  });

  it("accepts bindings to 'main' only while agents.list is empty", () => {
    expect(validateConfig({ bindings: [{ agentId: 'main', match: {} }] }).ok).toBe(true);
    const issue = at(issuesOf({ bindings: [{ agentId: 'ops', match: {} }] }), 'bindings[0].agentId');
    expect(issue.hint).toContain("the only agent is 'main'");
    expect(
      validateConfig({ agents: { list: [{ id: 'ops' }] }, bindings: [{ agentId: 'main', match: {} }] }).ok,
    ).toBe(false);
  });

  it('reports every problem at once, one per line with the file path', async () => {
    const { message, issues, file } = await fileIssues(
      JSON.stringify({
        gateway: { port: 'x', prot: 1, auth: { mode: 'tokn' } },
        logging: { level: 'loud' },
        agents: { list: [{ id: 'a' }, { id: 'a' }] },
        bindings: [{ agentId: 'b', match: {} }],
        version: 2,
      }),
    );
    expect(issues.map((i) => i.path).sort()).toEqual(
      [
        'agents.list[1].id',
        'bindings[0].agentId',
        'gateway.auth.mode',
        'gateway.port',
        'gateway.prot',
        'logging.level',
        'version',
      ].sort(),
    );
    const lines = message.split('\n');
    expect(lines[0]).toBe(`Invalid config in ${file} (7 problems):`);
    expect(lines).toHaveLength(8);
    for (const issue of issues) {
      expect(issue.hint.length).toBeGreaterThan(0);
      expect(message).toContain(`  - ${issue.path}: ${issue.message} (hint: ${issue.hint})`);
    }
  });
});

describe('broken files', () => {
  it('gives line and column for a JSON5 syntax error', async () => {
    const { issues, message, file } = await fileIssues(
      '{\n  gateway: {\n    port: 1\n    bind: "lan"\n  }\n}\n',
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('root');
    expect(issues[0]!.message).toBe(
      `JSON5 syntax error in ${file} at line 4, column 5: invalid character 'b'`,
    );
    expect(issues[0]!.hint).toContain('line 4, column 5');
    expect(message).toContain(file);
  });

  it('reports a 0-byte file and a blank file', async () => {
    const empty = await fileIssues('');
    expect(empty.issues[0]!.message).toBe(`${empty.file} is empty (0 bytes)`);
    expect(empty.issues[0]!.hint).toContain('write {}');
    const blank = await fileIssues('  \n ');
    expect(blank.issues[0]!.message).toBe(`${blank.file} is empty`);
  });

  it('reports a truncated file with where it ends', async () => {
    const full = JSON.stringify({ gateway: { port: 1, bind: 'lan' }, logging: { level: 'info' } }, null, 2);
    const { issues } = await fileIssues(full.slice(0, full.length - 20));
    expect(issues[0]!.message).toMatch(
      /JSON5 syntax error in .* at line \d+, column \d+: invalid end of input/,
    );
  });

  it('refuses a top level that is not an object', async () => {
    for (const text of ['[1, 2]', '42', 'null', '"text"']) {
      const { issues } = await fileIssues(text);
      expect(issues[0]!.path).toBe('root');
      expect(issues[0]!.message).toMatch(/not an object$/);
    }
  });

  it('refuses a file over the size limit', async () => {
    const { issues } = await fileIssues(
      `{ logging: { redactPatterns: ["${'x'.repeat(MAX_CONFIG_BYTES)}"] } }`,
    );
    expect(issues[0]!.message).toMatch(/is too large$/);
  });

  it('refuses a file nested 10,000 levels deep with a clear issue (no stack overflow)', async () => {
    const { issues } = await fileIssues(`{ a: ${'['.repeat(10_000)}${']'.repeat(10_000)} }`);
    expect(issues[0]!.path).toBe('root');
    expect(issues[0]!.message).toMatch(/nests more than 64 levels$/);
    expect(issues[0]!.hint).toContain('brackets');
  });

  it('keeps __proto__ as a plain unknown key', async () => {
    const { issues } = await fileIssues('{ "__proto__": { "polluted": true } }');
    expect(issues[0]!.path).toBe('__proto__');
    expect(issues[0]!.message).toBe("unknown key '__proto__'");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('parseConfigText returns the object or throws CONFIG_INVALID', () => {
    expect(parseConfigText('{a: 1, /* c */ b: [1,],}', 'x.json5')).toEqual({ a: 1, b: [1] });
    expect(() => parseConfigText('{a: }', 'x.json5')).toThrow(/x\.json5 at line 1, column 5/);
  });

  it('formatConfigIssues works without a file', () => {
    expect(formatConfigIssues([{ path: 'a', message: 'm', hint: 'h' }])).toBe(
      'Invalid config (1 problem):\n  - a: m (hint: h)',
    );
  });
});
