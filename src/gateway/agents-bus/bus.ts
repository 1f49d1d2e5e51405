import type { AgentTool, ToolContext } from '../../agent/index.js';
import { type AgentBusDeps, BusCore } from './core.js';
import { type HistoryArgs, type ListArgs, listSessions, sessionHistory } from './read.js';
import type { ChildRecord } from './registry.js';
import { type SendArgs, type SendResult, sendToSession } from './send.js';
import { type SpawnArgs, type SpawnResult, spawnSubagent } from './spawn.js';
import { createSessionsTools, type SessionsToolsPort } from './tools.js';

const callerOf = (ctx: ToolContext) => ({
  sessionKey: ctx.sessionKey,
  agentId: ctx.agentId,
  runId: ctx.runId,
});

/**
 * Agents working together: the logic behind `sessions_list`, `sessions_history`, `sessions_send` and
 * `sessions_spawn`, with the `agentToAgent` allowlist and limits. One per gateway; state is in memory.
 * Every method throws `CarapaceError` for a refusal (the tools turn it into an error result).
 */
export class AgentBus implements SessionsToolsPort {
  readonly #core: BusCore;

  constructor(deps: AgentBusDeps) {
    this.#core = new BusCore(deps);
  }

  list(ctx: ToolContext, args: ListArgs) {
    return listSessions(this.#core, callerOf(ctx), args);
  }

  history(ctx: ToolContext, args: HistoryArgs) {
    return sessionHistory(this.#core, callerOf(ctx), args);
  }

  send(ctx: ToolContext, args: SendArgs, signal: AbortSignal): Promise<SendResult> {
    return sendToSession(this.#core, callerOf(ctx), args, signal);
  }

  spawn(ctx: ToolContext, args: SpawnArgs): Promise<SpawnResult> {
    return spawnSubagent(this.#core, callerOf(ctx), args);
  }

  /** Sub-agents this gateway started from `parentKey` (running and recently finished). */
  children(parentKey: string): ChildRecord[] {
    return this.#core.registry.childrenOf(parentKey).map((c) => ({ ...c }));
  }

  /** The four tools, to be filtered by the tool policy with the rest. */
  tools(): AgentTool[] {
    return createSessionsTools(this);
  }
}
