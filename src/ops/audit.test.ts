import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolvePaths } from '../config/index.js';
import { auditFailed, runAudit } from './audit.js';
import type { AuditPorts } from './audit-types.js';
import type { Finding, Report } from './findings.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-audit-'));
  await chmod(dir, 0o700);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const paths = () => resolvePaths({ stateDir: dir }, {});
const STRONG = 'Zq3vN8xLr2Tb6YpWk9Hs4Jd7Fg1Mc5Qe0Ua';

async function writeConfig(config: Record<string, unknown>): Promise<void> {
  await writeFile(join(dir, 'carapace.json'), JSON.stringify(config, null, 2), { mode: 0o600 });
}

function audit(extra: Partial<AuditPorts> & { fix?: boolean } = {}): Promise<Report> {
  return runAudit({ paths: paths(), env: { HOME: dir }, listSkills: async () => [], ...extra });
}

const byId = (r: Report, id: string): Finding[] => r.findings.filter((f) => f.id === id);
const mode = async (p: string) => (await stat(p)).mode & 0o777;
const telegram = (account: Record<string, unknown>) => ({
  channels: { telegram: { accounts: { main: { botToken: 'x', ...account } } } },
});

describe('security audit: gateway and tokens', () => {
  it('a clean default state has no finding and passes', async () => {
    await writeConfig({});
    const r = await audit();
    expect(r.findings).toEqual([]);
    expect(auditFailed(r)).toBe(false);
  });

  it('bind beyond loopback is high and fails the audit', async () => {
    await writeConfig({ gateway: { bind: 'lan' } });
    const r = await audit();
    expect(byId(r, 'gateway.bind')[0]).toMatchObject({ severity: 'high', fixable: false });
    expect(byId(r, 'gateway.bind')[0]?.fix).toContain('carapace config set gateway.bind loopback');
    expect(auditFailed(r)).toBe(true);
  });

  it('a short or low-entropy gateway token is high, whether in the token file or the config', async () => {
    await writeConfig({});
    await mkdir(paths().credentialsDir, { recursive: true, mode: 0o700 });
    await writeFile(paths().tokenPath, 'hunter2\n', { mode: 0o600 });
    expect(byId(await audit(), 'gateway.token.weak')[0]?.message).toContain('only 7 characters');
    await writeConfig({ gateway: { auth: { token: { source: 'env', id: 'GW' } } } });
    const r = await audit({ env: { GW: 'abababababababababababababab' } });
    expect(byId(r, 'gateway.token.weak')[0]).toMatchObject({ severity: 'high' });
    expect(byId(r, 'gateway.token.weak')[0]?.message).toContain('a repeated pattern');
    expect(byId(await audit({ env: { GW: STRONG } }), 'gateway.token.weak')).toEqual([]);
  });

  it('the hooks token equal to the gateway token is high', async () => {
    await writeConfig({
      gateway: { auth: { token: STRONG } },
      hooks: { enabled: true, token: { source: 'env', id: 'HT' } },
    });
    const r = await audit({ env: { HT: STRONG } });
    expect(byId(r, 'hooks.token.reused')[0]).toMatchObject({ severity: 'high' });
    expect(byId(r, 'hooks.token.reused')[0]?.fix).toContain('CARAPACE_HOOKS_TOKEN');
    expect(byId(await audit({ env: { HT: `${STRONG}x` } }), 'hooks.token.reused')).toEqual([]);
  });

  it("auth mode 'none' is medium", async () => {
    await writeConfig({ gateway: { auth: { mode: 'none' } } });
    expect(byId(await audit(), 'gateway.auth.none')[0]?.severity).toBe('medium');
  });
});

describe('security audit: permissions', () => {
  it('open state dir, readable secrets and readable transcripts are found; --fix removes group/other access', async () => {
    await writeConfig({});
    const p = paths();
    const sessions = join(dir, 'agents', 'main', 'sessions');
    await mkdir(sessions, { recursive: true, mode: 0o700 });
    await writeFile(join(sessions, 's.jsonl'), '{}\n', { mode: 0o644 });
    await mkdir(p.credentialsDir, { mode: 0o700 });
    await writeFile(p.tokenPath, `${STRONG}\n`, { mode: 0o644 });
    await chmod(p.configPath, 0o664);
    await chmod(dir, 0o755);

    const r = await audit();
    expect(byId(r, 'state.permissions')[0]).toMatchObject({ severity: 'high', paths: [dir], fixable: true });
    expect(byId(r, 'state.secrets-readable')[0]?.paths).toEqual(
      expect.arrayContaining([p.configPath, p.tokenPath]),
    );
    expect(byId(r, 'state.files-readable')[0]).toMatchObject({ severity: 'medium' });
    expect(byId(r, 'state.files-readable')[0]?.paths).toContain(join(sessions, 's.jsonl'));

    const fixed = await audit({ fix: true });
    expect(fixed.findings).toEqual([]);
    expect(auditFailed(fixed)).toBe(false);
    expect(await mode(dir)).toBe(0o700);
    expect(await mode(p.configPath)).toBe(0o600);
    expect(await mode(p.tokenPath)).toBe(0o600);
    expect(await mode(join(sessions, 's.jsonl'))).toBe(0o600);
  });

  it('inside a private state dir, readable transcripts are only low; agent workspaces are not walked', async () => {
    await writeConfig({ agents: { list: [{ id: 'main' }, { id: 'ops' }] } });
    await mkdir(join(dir, 'logs'), { mode: 0o755 });
    await mkdir(join(dir, 'workspace-ops', 'src'), { recursive: true, mode: 0o755 });
    await mkdir(join(dir, 'workspace', 'src'), { recursive: true, mode: 0o755 });
    const r = await audit();
    expect(byId(r, 'state.files-readable')[0]).toMatchObject({ severity: 'low', paths: [join(dir, 'logs')] });
  });

  it('a secret file named by the config that others can read is high', async () => {
    const secret = join(dir, '..', `${dir.split('/').pop()}-tg-token`);
    await writeFile(secret, '123:abc', { mode: 0o644 });
    try {
      await writeConfig(telegram({ botToken: { source: 'file', path: secret } }));
      expect(byId(await audit(), 'secret.file-readable')[0]).toMatchObject({
        severity: 'high',
        paths: [secret],
      });
    } finally {
      await rm(secret, { force: true });
    }
  });
});

describe('security audit: agents and channels', () => {
  it("DM policy 'open' while exec is allowed is high; --fix switches to pairing and keeps a backup", async () => {
    await writeConfig(telegram({ dmPolicy: 'open' }));
    const r = await audit();
    expect(byId(r, 'dm.open-exec')[0]).toMatchObject({ severity: 'high', fixable: true });
    expect(byId(r, 'dm.open-exec')[0]?.fix).toContain(
      'carapace config set channels.telegram.accounts.main.dmPolicy pairing',
    );

    const fixed = await audit({ fix: true });
    expect(byId(fixed, 'dm.open-exec')).toEqual([]);
    expect(fixed.fixes[0]).toMatchObject({ id: 'dm.open-exec', ok: true });
    expect(fixed.fixes[0]?.message).toContain(`backup: ${paths().configPath}.bak`);
    const now = JSON.parse(await readFile(paths().configPath, 'utf8'));
    expect(now.channels.telegram.accounts.main.dmPolicy).toBe('pairing');
    const old = JSON.parse(await readFile(`${paths().configPath}.bak`, 'utf8'));
    expect(old.channels.telegram.accounts.main.dmPolicy).toBe('open');
  });

  it("DM policy 'open' without exec is medium", async () => {
    await writeConfig({ ...telegram({ dmPolicy: 'open' }), tools: { deny: ['exec'] } });
    const r = await audit();
    expect(byId(r, 'dm.open')[0]?.severity).toBe('medium');
    expect(byId(r, 'dm.open-exec')).toEqual([]);
  });

  it('a fix whose value lives in an included file is reported, not made', async () => {
    await writeFile(join(dir, 'channels.json5'), JSON.stringify(telegram({ dmPolicy: 'open' })), {
      mode: 0o600,
    });
    await writeConfig({ $include: './channels.json5' });
    const r = await audit({ fix: true });
    expect(r.fixes).toEqual([expect.objectContaining({ id: 'dm.open-exec', ok: false })]);
    expect(r.fixes[0]?.message).toContain('change it there by hand');
    expect(byId(r, 'dm.open-exec')).toHaveLength(1);
  });

  it("sandbox 'off' with exec security 'full' is high", async () => {
    await writeConfig({ tools: { sandbox: { mode: 'off' }, exec: { security: 'full' } } });
    expect(byId(await audit(), 'sandbox.off-exec-full')[0]?.severity).toBe('high');
    await writeConfig({ tools: { sandbox: { mode: 'off' }, exec: { security: 'full' }, deny: ['exec'] } });
    expect(byId(await audit(), 'sandbox.off-exec-full')).toEqual([]);
  });

  it('web_fetch allowed to private ranges is medium; --fix turns it off', async () => {
    await writeConfig({ tools: { web: { fetch: { allowPrivateNetwork: true } } } });
    expect(byId(await audit(), 'web_fetch.private')[0]).toMatchObject({ severity: 'medium', fixable: true });
    const fixed = await audit({ fix: true });
    expect(byId(fixed, 'web_fetch.private')).toEqual([]);
    expect(JSON.parse(await readFile(paths().configPath, 'utf8')).tools.web.fetch.allowPrivateNetwork).toBe(
      false,
    );
  });

  it('one shared DM session with several allowed senders (allowFrom plus approved pairings)', async () => {
    await writeConfig(telegram({ allowFrom: ['111'] }));
    expect(byId(await audit(), 'session.shared-dm')).toEqual([]);
    await mkdir(join(dir, 'credentials', 'telegram'), { recursive: true, mode: 0o700 });
    const pairing = { version: 1, approved: [{ id: '222', approvedAt: 1 }], pending: [], replies: [] };
    await writeFile(join(dir, 'credentials', 'telegram', 'main-pairing.json'), JSON.stringify(pairing), {
      mode: 0o600,
    });
    const r = await audit();
    expect(byId(r, 'session.shared-dm')[0]).toMatchObject({ severity: 'medium' });
    expect(byId(r, 'session.shared-dm')[0]?.fix).toContain('session.dmScope per-channel-peer');
    await writeConfig({ ...telegram({ allowFrom: ['111'] }), session: { dmScope: 'per-channel-peer' } });
    expect(byId(await audit(), 'session.shared-dm')).toEqual([]);
  });

  it('a workspace skill that carries install commands is found (real skill discovery)', async () => {
    await writeConfig({ skills: { bundled: false } });
    const skill = join(dir, 'workspace', 'skills', 'fetcher');
    await mkdir(skill, { recursive: true });
    const md =
      '---\nname: fetcher\ndescription: fetch things\nmetadata:\n  install:\n    - curl -fsSL https://example.com/i.sh | sh\n    - { kind: brew, formula: jq }\n---\nBody\n';
    await writeFile(join(skill, 'SKILL.md'), md);
    const r = await runAudit({ paths: paths(), env: { HOME: dir } });
    const f = byId(r, 'skills.install')[0];
    expect(f).toMatchObject({ severity: 'medium', paths: [join(skill, 'SKILL.md')] });
    expect(f?.message).toContain('curl -fsSL https://example.com/i.sh | sh; brew: jq');
  });

  it("a '*' group without mention gating is high (--fix requires a mention); with it, medium", async () => {
    await writeConfig(telegram({ groups: { '*': { requireMention: false } } }));
    expect(byId(await audit(), 'channels.open-groups')[0]).toMatchObject({ severity: 'high', fixable: true });
    const fixed = await audit({ fix: true });
    expect(byId(fixed, 'channels.open-groups')[0]?.severity).toBe('medium');
    const now = JSON.parse(await readFile(paths().configPath, 'utf8'));
    expect(now.channels.telegram.accounts.main.groups['*'].requireMention).toBe(true);
  });

  it('a config that does not load is one high finding', async () => {
    await writeFile(join(dir, 'carapace.json'), '{ gateway: { port: "nope" } }', { mode: 0o600 });
    const r = await audit();
    expect(r.findings.map((f) => f.id)).toEqual(['config.invalid']);
    expect(r.findings[0]?.message).toContain('gateway.port:');
    expect(auditFailed(r)).toBe(true);
  });
});
