/**
 * The safer defaults of SECURITY-TESTS.md, pinned: an empty carapace.json must come out with each of them,
 * so changing one is a deliberate act that fails here first. (Each default's behaviour is proven by the
 * SEC rows; this file guards the values.)
 */
import { describe, expect, it } from 'vitest';
import { type Config, validateConfig } from '../../src/config/index.js';

function defaults(): Config {
  const r = validateConfig({});
  if (!r.ok) throw new Error(`the empty config is invalid: ${JSON.stringify(r.issues)}`);
  return r.config;
}

describe('safer defaults out of the box', () => {
  const c = defaults();

  it('auth on, loopback only, lockout after 10 failures in 60 s for 5 minutes', () => {
    expect(c.gateway.auth.mode).toBe('token');
    expect(c.gateway.bind).toBe('loopback');
    expect(c.gateway.auth.rateLimit).toEqual({ maxFailures: 10, windowMs: 60_000, lockoutMs: 300_000 });
  });

  it('browsers only from the gateway origin: no extra origins allowed', () => {
    expect(c.gateway.controlUi.allowedOrigins).toEqual([]);
  });

  it('idempotency records kept at least 24 hours', () => {
    expect(c.gateway.idempotency.ttlMs).toBeGreaterThanOrEqual(24 * 60 * 60 * 1000);
  });

  it('exec: allowlist, ask on a miss, sandboxed outside the owner main session; file tools fenced', () => {
    expect(c.tools.exec.security).toBe('allowlist');
    expect(c.tools.exec.ask).toBe('on-miss');
    expect(c.tools.sandbox.mode).toBe('non-main');
    expect(c.tools.sandbox.network).toBe(false);
    expect(c.tools.fs.workspaceOnly).toBe(true);
  });

  it('web_fetch stays off private networks', () => {
    expect(c.tools.web.fetch.allowPrivateNetwork).toBe(false);
  });

  it('agent-to-agent off, with no allow-pair, and session tools see their own agent', () => {
    expect(c.agentToAgent.enabled).toBe(false);
    expect(c.agentToAgent.allow).toEqual([]);
    expect(c.agentToAgent.visibility).toBe('agent');
  });

  it('an unknown DM sender gets pairing, not the agent', () => {
    const r = validateConfig({
      channels: { telegram: { accounts: { default: { botToken: { source: 'env', id: 'TG_TOKEN' } } } } },
    });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    const tg = r.config.channels.telegram as unknown as {
      dmPolicy?: string;
      accounts: Record<string, { dmPolicy?: string }>;
    };
    expect(tg.accounts.default?.dmPolicy ?? tg.dmPolicy).toBe('pairing');
  });
});
