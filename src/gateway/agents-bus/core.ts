import type { AgentToAgentConfig, Config } from '../../config/index.js';
import { formatSessionKey, parseSessionKey } from '../../routing/index.js';
import type { LaneOutcome } from '../../sessions/index.js';
import { CarapaceError, type Clock, errorMessage } from '../../shared/index.js';
import type { Logger } from '../logger.js';
import type { TurnRequest, TurnResult } from '../runs/types.js';
import type { GatewaySessions } from '../sessions.js';
import { A2A_LIMIT, assertReach, limitError, type SessionRef } from './policy.js';
import { BusRegistry, type ChildStatus, type RunLink } from './registry.js';

/** The part of the run service the bus uses (`RunService` fits). */
export interface BusRunPort {
  submit(
    req: TurnRequest,
    options: { durable?: boolean },
  ): Promise<
    { duplicate: false; outcome: Promise<LaneOutcome<TurnResult>> } | { duplicate: 'open' | 'answered' }
  >;
  notify(sessionKey: string, text: string): void;
}

export interface AgentBusDeps {
  config(): Config;
  sessions: GatewaySessions;
  /** The run service, once it exists (tools are assembled before it is). */
  runs(): BusRunPort | undefined;
  clock: Clock;
  logger: Logger;
}

/** The calling session of a tool: its key, agent and current run. */
export interface Caller extends SessionRef {
  runId: string;
}

/** How a turn the bus set off ended, in a few words. */
export interface Settled {
  status: Exclude<ChildStatus, 'running'>;
  text: string;
  error?: string;
}

export const SESSION_NOT_FOUND = 'SESSION_NOT_FOUND';

/** A lane outcome reduced to status, text and error. */
export function settle(outcome: LaneOutcome<TurnResult>): Settled {
  if (outcome.status !== 'ok') {
    const aborted = outcome.status === 'dropped' && outcome.reason !== 'lane-full';
    return { status: aborted ? 'aborted' : 'error', text: '', error: outcome.error.message };
  }
  const r = outcome.result;
  const error = r.error ? { error: r.error.message } : {};
  return { status: r.status, text: r.text, ...error };
}

/** Shared plumbing of the four tools: config, key resolution, reach checks, submitting turns. */
export class BusCore {
  readonly registry = new BusRegistry();

  constructor(readonly deps: AgentBusDeps) {}

  a2a(): AgentToAgentConfig {
    return this.deps.config().agentToAgent;
  }

  now(): number {
    return this.deps.clock.now();
  }

  /** The session named by `sessionKey`, or else the main session of `agentId` (default: the caller's agent). */
  async target(caller: Caller, args: { sessionKey?: string; agentId?: string }): Promise<SessionRef> {
    const { sessions } = this.deps;
    if (args.sessionKey === undefined) {
      const agentId = sessions.agent(args.agentId ?? caller.agentId).id;
      return { agentId, sessionKey: formatSessionKey({ kind: 'main', agentId }) };
    }
    const resolved = sessions.resolveKey(args.sessionKey);
    let agentId = resolved.agentId;
    if (!('agentId' in parseSessionKey(resolved.key))) {
      // cron: and hook: keys name no agent: the one whose store holds the session owns it.
      agentId = args.agentId ?? (await this.#owner(resolved.key)) ?? agentId;
    } else if (args.agentId !== undefined && args.agentId !== agentId) {
      throw new CarapaceError(
        'INVALID_PARAMS',
        `session ${resolved.key} belongs to agent '${agentId}', not '${args.agentId}'`,
      );
    }
    return { agentId, sessionKey: resolved.key };
  }

  async #owner(key: string): Promise<string | undefined> {
    for (const agent of this.deps.sessions.agents()) {
      if (await this.deps.sessions.store(agent.id).get(key)) return agent.id;
    }
    return undefined;
  }

  /** Throws AGENT_TO_AGENT_DENIED when the caller may not reach `target`. */
  assertReach(caller: SessionRef, target: SessionRef): void {
    assertReach(this.a2a(), caller, target, this.registry.related(caller.sessionKey, target.sessionKey));
  }

  /** Throws SESSION_NOT_FOUND unless the session exists (an agent's main session always may be used). */
  async requireSession(target: SessionRef): Promise<void> {
    if (target.sessionKey === formatSessionKey({ kind: 'main', agentId: target.agentId })) return;
    if (await this.deps.sessions.store(target.agentId).get(target.sessionKey)) return;
    throw new CarapaceError(
      SESSION_NOT_FOUND,
      `no session ${target.sessionKey}; sessions_list shows the sessions this session can reach`,
    );
  }

  /** Count one exchange against the originating run, or throw when `maxExchanges` is used up. */
  countExchange(origin: string): void {
    const max = this.a2a().maxExchanges;
    if (this.registry.exchanges(origin) >= max) {
      throw limitError(
        `this conversation already made ${max} agent-to-agent exchanges (sessions_send / sessions_spawn), the most one originating run may set off`,
        'agentToAgent.maxExchanges',
        max,
      );
    }
    this.registry.countExchange(origin);
  }

  /**
   * Queue a turn in another session (non-durable: the caller keeps the context; a restart does not replay
   * it) and link it to its originating run. Resolves once the turn is queued, with its outcome.
   */
  async start(
    req: Pick<TurnRequest, 'runId' | 'sessionKey' | 'agentId' | 'message'> &
      Partial<Pick<TurnRequest, 'timeoutMs' | 'extraSystemPrompt'>>,
    link: RunLink,
  ): Promise<{ outcome: Promise<LaneOutcome<TurnResult>> }> {
    const runs = this.deps.runs();
    if (!runs) throw new CarapaceError('UNAVAILABLE', 'the run service is not running', { retryable: true });
    this.registry.setLink(req.runId, link);
    const drop = () => this.registry.dropLink(req.runId);
    try {
      const turn: TurnRequest = {
        v: 1,
        method: 'agent-bus',
        acceptedAt: this.now(),
        queueMode: 'followup',
        ...req,
      };
      const sub = await runs.submit(turn, { durable: false });
      if (sub.duplicate) throw new CarapaceError(A2A_LIMIT, `run ${req.runId} was already submitted`);
      sub.outcome.then(drop, drop);
      return { outcome: sub.outcome };
    } catch (err) {
      drop();
      throw err;
    }
  }

  /** Record a note in a session without a turn (falls back quietly when the run service is gone). */
  note(sessionKey: string, text: string): void {
    this.deps.runs()?.notify(sessionKey, text);
  }

  warn(message: string, data: Record<string, unknown>, err?: unknown): void {
    this.deps.logger.warn({ ...data, ...(err === undefined ? {} : { err: errorMessage(err) }) }, message);
  }
}

/** Resolve with the promise's value, or 'timeout' after `ms`, or 'aborted' when `signal` fires. */
export function within<T>(
  p: Promise<T>,
  ms: number,
  signal: AbortSignal,
): Promise<T | 'timeout' | 'aborted'> {
  if (signal.aborted) return Promise.resolve('aborted');
  return new Promise((resolve) => {
    const done = (v: T | 'timeout' | 'aborted') => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(v);
    };
    const onAbort = () => done('aborted');
    const timer = setTimeout(() => done('timeout'), ms);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(done, () => done('aborted'));
  });
}
