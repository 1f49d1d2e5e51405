import { realpath } from 'node:fs/promises';
import type { AgentTool, ToolContext, ToolOutput } from '../agent/index.js';
import { BoundedMap, type Clock, errorMessage, newId, systemClock } from '../shared/index.js';
import type { ApprovalBroker, ApprovalDecision, ApprovalRequest, ExecAsk } from './approvals/index.js';
import {
  type AuthoredFiles,
  consequentialAction,
  realTarget,
  TurnTaint,
  untrustedSource,
  writeTargets,
} from './taint.js';

/** A bounded map of run id → taint, for the runs in progress. */
export class TaintRegistry {
  readonly #runs: BoundedMap<string, TurnTaint>;
  constructor(max = 512) {
    this.#runs = new BoundedMap(max);
  }

  /** The taint of a run, created on first use (a run keeps its taint until `end`). */
  begin(runId: string): TurnTaint {
    let taint = this.#runs.get(runId);
    if (!taint) {
      taint = new TurnTaint();
      this.#runs.set(runId, taint); // a new run: the oldest beyond max are forgotten
    }
    return taint;
  }

  get(runId: string): TurnTaint | undefined {
    return this.#runs.get(runId);
  }

  end(runId: string): void {
    this.#runs.delete(runId);
  }

  /** A run the registry does not know counts as tainted (fail closed). */
  isTainted(runId: string): boolean {
    return this.#runs.get(runId)?.tainted ?? true;
  }

  get size(): number {
    return this.#runs.size;
  }
}

/** What the guard needs from the gateway. */
export interface TaintGuardDeps {
  registry: TaintRegistry;
  workspaceDir(agentId: string): string;
  authored(agentId: string): AuthoredFiles;
  knownRecipient(agentId: string, to: { channel: string; to: string; accountId?: string }): Promise<boolean>;
  /** An operator answered "allow always" for a message recipient: stop asking for them. */
  rememberRecipient?(agentId: string, to: { channel: string; to: string; accountId?: string }): void;
  /** Where approvals go (the exec approval broker); none: consequential calls in tainted runs are refused. */
  broker?: ApprovalBroker | undefined;
  /** `tools.exec.ask` and `approvalTimeoutSec`, read per call. `ask: off` refuses instead of asking. */
  approvals(): { ask: ExecAsk; timeoutSec: number };
  clock?: Clock;
  newId?: () => string;
}

/** The refusal a tool call in a tainted run gets when it was not approved. */
function refused(code: string, message: string): ToolOutput {
  return { content: { status: 'refused', code, message }, isError: true };
}

function argvOf(name: string, args: Record<string, unknown>): string[] {
  const s = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v ?? ''));
  const clip = (v: string) => (v.length > 200 ? `${v.slice(0, 200)}…` : v);
  if (name === 'message') return ['message', s(args.channel), s(args.to), clip(s(args.text))];
  if (name === 'cron') return ['cron', s(args.action), clip(s(args.task ?? args.text ?? ''))];
  if (name === 'write') return ['write', s(args.path), clip(s(args.content))];
  if (name === 'edit') return ['edit', s(args.path), clip(s(args.new_string))];
  if (name === 'apply_patch') return ['apply_patch', ...writeTargets(name, args).map((t) => t.path)];
  return [name, clip(JSON.stringify(args))];
}

async function ask(
  deps: TaintGuardDeps,
  req: { name: string; args: Record<string, unknown>; ctx: ToolContext; workspace: string; reason: string },
  signal: AbortSignal,
): Promise<ApprovalDecision | 'timeout' | 'unavailable'> {
  const { ask: mode, timeoutSec } = deps.approvals();
  if (!deps.broker || mode === 'off') return 'unavailable';
  const clock = deps.clock ?? systemClock;
  const argv = argvOf(req.name, req.args);
  const request: ApprovalRequest = {
    id: (deps.newId ?? newId)(),
    sessionKey: req.ctx.sessionKey,
    agentId: req.ctx.agentId,
    command: argv.join(' '),
    argv,
    commands: [argv],
    cwd: req.workspace,
    reason: req.reason,
    expiresAtMs: clock.now() + timeoutSec * 1000,
  };
  const timeout = AbortSignal.timeout(timeoutSec * 1000);
  const both = AbortSignal.any([signal, timeout]);
  try {
    const decision = await deps.broker.request(request, both);
    if (timeout.aborted && !signal.aborted) return 'timeout';
    return both.aborted ? 'deny' : decision;
  } catch {
    return 'deny';
  }
}

/**
 * Wrap tools so that each call is checked against the taint of its run (by `ctx.runId`):
 * - before: in a tainted run, a consequential call (see `consequentialAction`) waits for an operator's
 *   approval through the broker; no approval (deny, timeout, nobody to ask) → a refusal, nothing done;
 * - after: what the call read (see `untrustedSource`) taints the run; files the agent writes in an
 *   untainted run are recorded as its own (reading them later taints nothing).
 */
export function guardTools(tools: readonly AgentTool[], deps: TaintGuardDeps): AgentTool[] {
  return tools.map((tool) => ({
    ...tool,
    execute: (args: Record<string, unknown>, ctx: ToolContext, signal: AbortSignal) =>
      guardedCall(tool, args, ctx, signal, deps),
  })) as AgentTool[];
}

async function guardedCall(
  tool: AgentTool,
  args: Record<string, unknown>,
  ctx: ToolContext,
  signal: AbortSignal,
  deps: TaintGuardDeps,
): Promise<ToolOutput> {
  const taint = deps.registry.get(ctx.runId) ?? untracked();
  let workspace: string;
  try {
    workspace = await realpath(deps.workspaceDir(ctx.agentId));
  } catch (err) {
    return refused('WORKSPACE_MISSING', `the agent workspace is not available: ${errorMessage(err)}`);
  }
  if (taint.tainted) {
    const action = await consequentialAction(tool.name, args, {
      workspace,
      agentId: ctx.agentId,
      knownRecipient: deps.knownRecipient,
    });
    if (action) {
      const reason = `this turn read untrusted content (${taint.reason}), so ${action} needs an operator's approval`;
      const answer = await ask(deps, { name: tool.name, args, ctx, workspace, reason }, signal);
      if (answer === 'unavailable')
        return refused('TAINTED_TURN_REFUSED', `not done: ${reason}, and approvals are off (tools.exec.ask)`);
      if (answer === 'timeout')
        return refused('TAINTED_TURN_APPROVAL_TIMEOUT', `not done: no operator answered in time; ${reason}`);
      if (answer === 'deny') return refused('TAINTED_TURN_APPROVAL_DENIED', `not approved: ${reason}`);
      if (answer === 'allow-always' && tool.name === 'message') {
        deps.rememberRecipient?.(ctx.agentId, {
          channel: String(args.channel),
          to: String(args.to),
          ...(typeof args.accountId === 'string' ? { accountId: args.accountId } : {}),
        });
      }
    }
  }
  const authored = deps.authored(ctx.agentId);
  const targets = await Promise.all(
    writeTargets(tool.name, args).map(async (t) => {
      const real = await realTarget(workspace, t.path);
      return { real, whole: t.whole, own: await authored.authored(real).catch(() => false) };
    }),
  );
  const output = await tool.execute(args, ctx, signal);
  if (targets.length > 0 && !output.isError) {
    // A whole new text written in an untainted run is the agent's; an edit keeps the author of the rest.
    for (const t of targets) {
      if (!taint.tainted && (t.whole || t.own)) await authored.record(t.real);
      else authored.forget(t.real);
    }
  }
  const source = await untrustedSource(tool.name, args, output, { workspace, authored }).catch(
    () => `output of ${tool.name}`,
  );
  if (source) taint.mark(source);
  return output;
}

function untracked(): TurnTaint {
  const t = new TurnTaint();
  t.mark('a run the gateway does not track');
  return t;
}
