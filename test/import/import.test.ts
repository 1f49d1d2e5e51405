/**
 * `carapace import openclaw` on a fixture OpenClaw state dir built from OpenClaw's documented formats
 * (openclaw.json in JSON5, workspace files, cron/jobs.json, agents/<id>/sessions with pi-format JSONL).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, resolvePaths } from '../../src/config/index.js';
import { Gateway } from '../../src/gateway/index.js';
import { type ImportReport, importOpenClaw } from '../../src/import/index.js';
import { CronJobSchema, compileValidator } from '../../src/protocol/index.js';
import { loadTranscript, type MessageEntry, SessionStore } from '../../src/sessions/index.js';
import { runCli } from '../helpers/cli.js';
import { connectedClient } from '../helpers/ws-client.js';

const FIXTURE = join(new URL('.', import.meta.url).pathname, 'fixtures', 'openclaw-basic');

/** Every file under `dir` with its content and mode, hashed in path order. */
async function treeHash(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (d: string): Promise<void> => {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const p = join(d, e.name);
      const s = await stat(p);
      hash.update(`${relative(dir, p)}\0${s.mode}\0${s.mtimeMs}\0`);
      if (e.isDirectory()) await walk(p);
      else hash.update(await readFile(p));
    }
  };
  await walk(dir);
  return hash.digest('hex');
}

const find = (r: ImportReport, action: string, what: string | RegExp) =>
  r.items.find(
    (i) => i.action === action && (typeof what === 'string' ? i.what === what : what.test(i.what)),
  );

let home: string;
let stateDir: string;
let before: string;
let report: ImportReport;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'carapace-import-'));
  stateDir = join(home, '.carapace');
  before = await treeHash(FIXTURE);
  report = await importOpenClaw({ from: FIXTURE, paths: resolvePaths({ stateDir }, { HOME: home }), home });
});
afterAll(() => rm(home, { recursive: true, force: true }));

describe('import openclaw: config', () => {
  it('never modifies the source tree', async () => {
    expect(await treeHash(FIXTURE)).toBe(before);
  });

  it('writes a carapace.json that loads and holds the agents, bindings, providers and channels', async () => {
    const { config } = await loadConfig({
      paths: resolvePaths({ stateDir }, { HOME: home }),
      env: { HOME: home },
    });
    expect(config.agents.list.map((a) => a.id)).toEqual(['main', 'work']);
    const work = config.agents.list[1]!;
    expect(work.workspace).toBe(join(home, 'work-notes'));
    expect(work.model).toBe('local/llama');
    expect(work.tools).toEqual({ profile: 'coding', deny: ['browser'] });
    expect(config.agents.defaults.model).toBe('anthropic/claude-sonnet-4-5');
    expect(config.agents.defaults.fallbacks).toEqual(['local/llama']); // the alias 'fast' resolved
    expect(config.agents.defaults.thinking).toBe('low');
    expect(config.bindings).toEqual([
      {
        agentId: 'work',
        match: { channel: 'telegram', accountId: 'work', peer: { kind: 'dm', id: '42001' } },
      },
      { agentId: 'work', match: { channel: 'discord', guildId: '123' } },
    ]);
    const p = config.models.providers;
    expect(p.local?.api).toBe('openai-compatible');
    expect(p.local?.apiKey).toEqual({ source: 'env', id: 'LOCAL_KEY' });
    expect(p.local?.models[0]).toMatchObject({ id: 'llama', contextWindow: 32768, maxTokens: 4096 });
    expect(p.anthropic?.apiKey).toEqual({ source: 'env', id: 'ANTHROPIC_API_KEY' });
    expect(p.anthropic?.models.map((m) => m.id)).toEqual(['claude-sonnet-4-5']);
    expect(p.gemini).toBeUndefined();
    expect(config.session).toMatchObject({
      dmScope: 'per-channel-peer',
      reset: { mode: 'idle', idleMinutes: 120 },
    });
    expect(config.messages.queue).toMatchObject({ mode: 'steer', cap: 10 });
    expect(config.heartbeat.every).toBe('45m');
    const tg = config.channels.telegram.accounts;
    expect(tg.default?.dmPolicy).toBe('pairing');
    expect(tg.default?.groups).toEqual({ '*': { requireMention: true } });
    expect(tg.work?.allowFrom).toEqual(['42001']);
    expect(config.channels.discord.accounts.default?.botToken).toEqual({
      source: 'env',
      id: 'DISCORD_TOKEN',
    });
    expect(config.channels.discord.accounts.default?.guilds['123']).toEqual({
      requireMention: false,
      channels: ['456'],
      allowFrom: ['111'],
    });
  });

  it('keeps secrets out of carapace.json: inline ones move to 0600 files it references', async () => {
    const text = await readFile(join(stateDir, 'carapace.json'), 'utf8');
    for (const secret of [
      'sk-inline-secret-123',
      '123456:inline-telegram-token',
      'work-bot-token',
      'gateway-secret',
    ])
      expect(text).not.toContain(secret);
    const { config } = await loadConfig({ paths: resolvePaths({ stateDir }, { HOME: home }), env: {} });
    const ref = config.models.providers.custom?.apiKey as { source: string; path: string };
    expect(ref.source).toBe('file');
    expect((await readFile(ref.path, 'utf8')).trim()).toBe('sk-inline-secret-123');
    expect((await stat(ref.path)).mode & 0o777).toBe(0o600);
    const work = config.channels.telegram.accounts.work?.botToken as { path: string };
    expect(relative(stateDir, work.path).startsWith('credentials')).toBe(true);
    expect((await readFile(work.path, 'utf8')).trim()).toBe('654321:work-bot-token-from-file');
  });

  it('reports what it changed and skipped, with the reason', () => {
    expect(find(report, 'skipped', 'channels.signal')?.why).toMatch(/no signal channel/);
    expect(find(report, 'skipped', 'models.providers.gemini')?.why).toMatch(/google-generative-ai/);
    expect(find(report, 'skipped', 'bindings[2]')?.why).toMatch(/keywords/);
    expect(find(report, 'skipped', 'gateway')).toBeDefined();
    expect(find(report, 'changed', 'models.providers.custom.apiKey')?.why).toMatch(/moved to/);
    expect(find(report, 'changed', "agent 'work'")?.why).toMatch(/identity/);
    expect(find(report, 'changed', 'models.providers.local')?.why).toMatch(/openai-completions/);
    expect(report.counts.imported).toBeGreaterThan(0);
  });
});

describe('import openclaw: workspace, cron and sessions', () => {
  it('copies the workspace files of the default agent and leaves the rest', async () => {
    const ws = join(stateDir, 'workspace');
    expect(await readFile(join(ws, 'AGENTS.md'), 'utf8')).toContain('Work carefully');
    expect(await readFile(join(ws, 'memory', '2026-11-01.md'), 'utf8')).toContain('migration');
    await expect(stat(join(ws, 'notes.txt'))).rejects.toThrow();
    expect(find(report, 'skipped', "agent 'main' other files")?.why).toMatch(/notes\.txt, projects\//);
    expect(find(report, 'imported', "agent 'work'")?.why).toMatch(/used in place/);
  });

  it('converts cron jobs, keeping ids, and skips what Carapace cannot run', async () => {
    const doc = JSON.parse(await readFile(join(stateDir, 'cron', 'jobs.json'), 'utf8'));
    expect(doc.version).toBe(1);
    const valid = compileValidator(CronJobSchema);
    for (const job of doc.jobs) expect(valid.check(job), JSON.stringify(job)).toBe(true);
    const byId = Object.fromEntries(doc.jobs.map((j: { id: string }) => [j.id, j]));
    expect(Object.keys(byId).sort()).toEqual(['job-brief', 'job-hourly', 'job-reminder']);
    expect(byId['job-brief'].schedule).toEqual({ kind: 'cron', expr: '0 7 * * *', tz: 'Europe/Berlin' });
    expect(byId['job-brief'].delivery).toEqual({ channel: 'telegram', to: '42001' });
    expect(byId['job-reminder'].enabled).toBe(false); // a one-shot that already ran
    expect(byId['job-hourly']).toMatchObject({ agentId: 'work', wakeMode: 'next-heartbeat' });
    expect(byId['job-hourly'].schedule.anchorMs).toBe(1793520000000);
    expect(find(report, 'skipped', "job 'Bound to a session'")?.why).toMatch(/sessionTarget/);
  });

  it('writes each session key’s active branch with its times, through the session store', async () => {
    const store = new SessionStore({ agentId: 'main', dir: join(stateDir, 'agents', 'main', 'sessions') });
    const keys = (await store.list()).map((s) => s.sessionKey).sort();
    expect(keys).toEqual(['agent:main:main', 'agent:main:telegram:dm:42001']);
    const t = await store.loadTranscript('agent:main:main');
    const messages = t.entries.filter((e): e is MessageEntry => e.type === 'message');
    expect(messages.map((m) => m.role)).toEqual([
      'user',
      'assistant',
      'tool',
      'assistant',
      'user',
      'assistant',
      'user',
      'assistant',
    ]);
    expect(messages.some((m) => JSON.stringify(m.content).includes('retried'))).toBe(false);
    expect(messages[1]!.toolCalls).toEqual([{ id: 'call_1', name: 'read', args: { path: 'calendar.md' } }]);
    expect(messages[0]!.ts).toBe(1793523601000);
    const compaction = t.entries.find((e) => e.type === 'compaction');
    expect(compaction && 'firstKeptId' in compaction ? compaction.firstKeptId : undefined).toBe(
      messages[4]!.id,
    );
    const entry = await store.get('agent:main:main');
    expect(entry?.tokens.input).toBe(120 + 160 + 300 + 80);
    await store.close();
    // Every transcript written parses with its header.
    for (const agent of ['main', 'work']) {
      const dir = join(stateDir, 'agents', agent, 'sessions');
      for (const f of (await readdir(dir)).filter((n) => n.endsWith('.jsonl'))) {
        const loaded = await loadTranscript(join(dir, f));
        expect(loaded.header?.type).toBe('session');
      }
    }
    expect(find(report, 'changed', 'agent:main:telegram:direct:42001')?.why).toMatch(
      /1 lines that did not parse/,
    );
    expect(find(report, 'skipped', 'not a session key')).toBeDefined();
    expect(find(report, 'skipped', 'agent:main:discord:channel:99')?.why).toMatch(/missing/);
    expect(find(report, 'skipped', "agent 'ghost'")?.why).toMatch(/not in the config/);
  });

  it('a second import changes nothing', async () => {
    const configBefore = await readFile(join(stateDir, 'carapace.json'), 'utf8');
    const again = await importOpenClaw({
      from: FIXTURE,
      paths: resolvePaths({ stateDir }, { HOME: home }),
      home,
    });
    expect(again.configWritten).toBe(false);
    expect(await readFile(join(stateDir, 'carapace.json'), 'utf8')).toBe(configBefore);
    expect(again.items.filter((i) => i.area === 'cron' && i.action !== 'skipped')).toEqual([]);
    expect(again.items.filter((i) => i.area === 'session' && i.action !== 'skipped')).toEqual([]);
    expect(await treeHash(FIXTURE)).toBe(before);
  });

  it('the gateway starts on the imported state and shows the imported history', async () => {
    const configPath = join(stateDir, 'carapace.json');
    const doc = JSON.parse(await readFile(configPath, 'utf8'));
    // No network here: keep the imported channel accounts from trying to connect.
    doc.channels.telegram.enabled = false;
    doc.channels.discord.enabled = false;
    await writeFile(configPath, JSON.stringify(doc, null, 2));
    const gw = await Gateway.start({ stateDir, port: 0, env: { PATH: process.env.PATH ?? '', HOME: home } });
    try {
      const client = await connectedClient(gw.url, gw.secret);
      const res = await client.request('chat.history', { sessionKey: 'agent:main:main', limit: 50 });
      expect(res.ok, JSON.stringify(res.error)).toBe(true);
      expect(JSON.stringify(res.payload)).toContain('You are welcome.');
      client.close();
    } finally {
      await gw.stop('test done');
    }
  });
});

describe('carapace import openclaw (CLI)', () => {
  it('--dry-run --json reports without writing anything', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'carapace-import-dry-'));
    try {
      const run = runCli(
        ['import', 'openclaw', '--from', FIXTURE, '--state-dir', join(dir, 's'), '--dry-run', '--json'],
        {
          HOME: dir,
        },
      );
      expect(run.status, run.stderr).toBe(0);
      const r = JSON.parse(run.stdout) as ImportReport;
      expect(r.dryRun).toBe(true);
      expect(r.configWritten).toBe(true);
      expect(r.items.some((i) => i.area === 'session' && i.what === 'agent:main:main')).toBe(true);
      expect(await readdir(dir)).toEqual([]);
      expect(await treeHash(FIXTURE)).toBe(before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('prints what it imported, and says so when the source is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'carapace-import-cli-'));
    try {
      const run = runCli(['import', 'openclaw', '--from', FIXTURE, '--state-dir', join(dir, 's')], {
        HOME: dir,
      });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/(imported|changed)\s+session\s+agent:main:main — 8 messages/);
      expect(run.stdout).toMatch(/skipped\s+config\s+channels\.signal — Carapace has no signal channel/);
      const missing = runCli(['import', 'openclaw', '--state-dir', join(dir, 's')], { HOME: dir });
      expect(missing.status).toBe(1);
      expect(missing.stderr).toMatch(/no OpenClaw state dir at .*\.openclaw/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
