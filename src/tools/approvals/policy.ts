import type { ExecAnalysis, Miss } from './analyze.js';

export type ExecSecurity = 'deny' | 'allowlist' | 'full';
export type ExecAsk = 'off' | 'on-miss' | 'always';

/** The exec policy in force for one call. */
export interface ExecPolicy {
  security: ExecSecurity;
  ask: ExecAsk;
}

/** What the session is: the owner's main conversation, and whether the turn read untrusted content. */
export interface ExecPolicyContext {
  ownerMain: boolean;
  tainted: boolean;
}

/**
 * The policy for a call: `ownerMainSecurity` applies only to the owner's main session; a tainted turn
 * (one that read untrusted content) never runs with `full` — it falls back to `allowlist` with the
 * configured `ask` (SECURITY-TESTS "Defaults we choose" 4).
 */
export function effectiveExecPolicy(
  config: { security: ExecSecurity; ask: ExecAsk; ownerMainSecurity?: ExecSecurity | undefined },
  ctx: ExecPolicyContext,
): ExecPolicy {
  let security = ctx.ownerMain && config.ownerMainSecurity ? config.ownerMainSecurity : config.security;
  if (ctx.tainted && security === 'full') security = 'allowlist';
  return { security, ask: config.ask };
}

export type ExecDecision =
  | { action: 'run' }
  | { action: 'ask'; reason: string }
  | { action: 'refuse'; code: ExecRefusalCode; message: string };

/** Stable codes of refusals (also used as `CarapaceError` codes by the exec tool). */
export type ExecRefusalCode =
  | 'EXEC_DENIED'
  | 'EXEC_NOT_ALLOWLISTED'
  | 'EXEC_REFUSED'
  | 'EXEC_APPROVAL_DENIED'
  | 'EXEC_APPROVAL_TIMEOUT'
  | 'EXEC_APPROVAL_UNAVAILABLE'
  | 'EXEC_CHANGED_AFTER_APPROVAL'
  | 'EXEC_SANDBOX_UNAVAILABLE';

/** One line per reason, for a refusal message or an approval prompt. */
export function describeMisses(misses: readonly Miss[]): string {
  const lines = misses.slice(0, 8).map((m) => `${m.code}: ${m.detail}`);
  if (misses.length > 8) lines.push(`… and ${misses.length - 8} more`);
  return lines.join('; ');
}

/**
 * Decide one analysed command under a policy: `deny` refuses, `full` runs, `allowlist` runs when every
 * simple command matched (and `ask` is not `always`), otherwise refuses (`ask: off`) or asks.
 * Hard refusals of the analysis (unknown program, env injection) win over everything but `deny`.
 */
export function decideExec(analysis: ExecAnalysis, policy: ExecPolicy): ExecDecision {
  if (policy.security === 'deny') {
    return {
      action: 'refuse',
      code: 'EXEC_DENIED',
      message: 'exec is disabled (tools.exec.security = deny)',
    };
  }
  if (policy.security === 'full') return { action: 'run' };
  if (analysis.refusal) {
    return { action: 'refuse', code: 'EXEC_REFUSED', message: `refused: ${analysis.refusal.message}` };
  }
  const covered = analysis.misses.length === 0;
  if (covered && policy.ask !== 'always') return { action: 'run' };
  const reason = covered ? 'every command needs approval (ask = always)' : describeMisses(analysis.misses);
  if (policy.ask === 'off') {
    return {
      action: 'refuse',
      code: 'EXEC_NOT_ALLOWLISTED',
      message: `not allowed by the exec allowlist (${reason}); add an entry to tools.exec.allowlist or enable asking`,
    };
  }
  return { action: 'ask', reason };
}
