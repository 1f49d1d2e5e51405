import type { ToolContext } from '../../agent/index.js';
import { type Clock, errorMessage } from '../../shared/index.js';
import type {
  ApprovalBroker,
  ApprovalDecision,
  ApprovalRequest,
  ExecAnalysis,
  ExecApprovalsStore,
  PlannedCommand,
} from '../approvals/index.js';

/** The simple commands of an analysis that the allowlist did not cover. */
export function unapprovedCommands(analysis: ExecAnalysis): PlannedCommand[] {
  const all = analysis.entries.flatMap((e) => e.pipeline);
  const missing = all.filter((c) => c.matched === undefined && c.builtin === undefined);
  return missing.length > 0 ? missing : all.slice(0, 1);
}

export interface AskInput {
  broker: ApprovalBroker;
  analysis: ExecAnalysis;
  ctx: ToolContext;
  reason: string;
  timeoutSec: number;
  signal: AbortSignal;
  clock: Clock;
  newId: () => string;
}

/** The operator's answer; `timedOut` when nobody answered within the approval timeout. */
export interface AskOutcome {
  decision: ApprovalDecision;
  timedOut: boolean;
}

/**
 * Ask the operator. No answer within `timeoutSec`, an aborted run or a failing broker all mean `deny`.
 */
export async function askOperator(input: AskInput): Promise<AskOutcome> {
  const commands = unapprovedCommands(input.analysis);
  const first = commands[0];
  const request: ApprovalRequest = {
    id: input.newId(),
    sessionKey: input.ctx.sessionKey,
    agentId: input.ctx.agentId,
    command: input.analysis.command,
    argv: first ? [...first.argv] : [],
    commands: commands.map((c) => [...c.argv]),
    cwd: input.analysis.cwd.path,
    reason: input.reason,
    expiresAtMs: input.clock.now() + input.timeoutSec * 1000,
  };
  const resolved = first?.binaries[0]?.path;
  if (resolved) request.resolvedPath = resolved;
  const timeout = AbortSignal.timeout(input.timeoutSec * 1000);
  const signal = AbortSignal.any([input.signal, timeout]);
  const timedOut = () => timeout.aborted && !input.signal.aborted;
  try {
    const decision = await input.broker.request(request, signal);
    if (signal.aborted) return { decision: 'deny', timedOut: timedOut() };
    const allowed = decision === 'allow-once' || decision === 'allow-always';
    return { decision: allowed ? decision : 'deny', timedOut: false };
  } catch {
    return { decision: 'deny', timedOut: timedOut() };
  }
}

/**
 * Persist "allow always": one exact entry per unapproved simple command, pinned to its programs.
 * Dynamic commands (run through the shell) cannot be persisted. Returns a note for the tool result.
 */
export async function persistAllowAlways(
  store: ExecApprovalsStore | undefined,
  analysis: ExecAnalysis,
  agentId: string,
): Promise<string> {
  if (!analysis.static) return 'allow-always does not apply to commands with shell expansions; approved once';
  if (!store) return 'no approvals store configured; approved once';
  try {
    for (const c of analysis.entries.flatMap((e) => e.pipeline)) {
      if (c.matched !== undefined || c.builtin !== undefined || c.binaries.length === 0) continue;
      await store.add({ argv: [...c.argv], match: 'exact', binaries: c.binaries, agentId });
    }
    return 'approved; added to the exec allowlist';
  } catch (err) {
    return `approved once; could not save the allowlist entry: ${errorMessage(err)}`;
  }
}
