import { join } from 'node:path';
import type { AgentTool, ContextInput } from '../../agent/index.js';
import type { Config, ThinkingLevel } from '../../config/index.js';
import type { RunMetrics } from '../../metrics/index.js';
import {
  AUTH_PROFILES_FILE,
  createModelRuntime,
  type ModelRuntime,
  scrubSecrets,
} from '../../models/index.js';
import { Inbox, LaneManager, type LaneOutcome } from '../../sessions/index.js';
import { type Clock, errorMessage, TextFileCache } from '../../shared/index.js';
import type { Logger } from '../logger.js';
import type { GatewaySessions } from '../sessions.js';
import { abandon, MAX_RECOVERY_ATTEMPTS, recordedFor } from './abandon.js';
import type { Broadcast } from './run-events.js';
import { RunEvents } from './run-events.js';
import { type RunInfo, RunTracker } from './run-tracker.js';
import { runTurn } from './turn.js';
import type { TurnDeps } from './turn-shared.js';
import type { TurnRequest, TurnResult } from './types.js';

export interface RunServiceDeps {
  config(): Config;
  env: Record<string, string | undefined> | undefined;
  sessions: GatewaySessions;
  inboxPath: string;
  clock: Clock;
  /**
   * The time zone turns see (system prompt, daily resets). Default: the host's, resolved at the first turn
   * (Intl's time zone data is ~7 MB of RSS a gateway that has not run a turn does not need).
   */
  timeZone?: string;
  broadcast: Broadcast;
  secrets(): string[];
  logger: Logger;
  /** The tools a session may use (after policy). */
  tools?: (agentId: string, sessionKey: string) => readonly AgentTool[];
  /** The skills the system prompt lists for an agent. */
  skills?: (agentId: string) => Promise<Pick<ContextInput, 'skills' | 'skillsOmitted'>>;
  /** A recovered `agent` run finished: record its final answer for retries of the same key. */
  onRecoveredFinal(req: TurnRequest, outcome: LaneOutcome<TurnResult>): void;
  /** Taint tracking of each run (tainted turns). */
  guard?: TurnDeps['guard'];
  /** The redactor: model output is masked before events and the transcript. */
  redact?: TurnDeps['redact'];
  /** Run and model-call metrics (`GET /metrics`). */
  metrics?: RunMetrics;
  /**
   * A run ended and is about to be marked answered in the inbox: make its answer durable elsewhere first
   * (a channel reply is queued here, so a crash in between replays the turn instead of losing the reply).
   */
  beforeAnswer?(req: TurnRequest, outcome: LaneOutcome<TurnResult>): Promise<void>;
}

/** Several messages folded into one (the `summarize` overflow policy), bounded in size. */
function fold(messages: TurnRequest[]): TurnRequest {
  const last = messages[messages.length - 1]!;
  const text = messages.map((m) => m.message).join('\n\n');
  return {
    ...last,
    message:
      text.length > 16_000 ? `${text.slice(0, 16_000)}\n[… ${text.length - 16_000} more characters]` : text,
  };
}

/**
 * The message path after acceptance: the durable inbox, the per-session lanes, the turns, and what
 * `agent.wait` needs. Accepted messages survive a crash: `start()` replays what was never answered.
 */
export class RunService {
  readonly inbox: Inbox<TurnRequest>;
  readonly lanes: LaneManager<TurnRequest, TurnResult>;
  readonly #runs = new RunTracker();
  readonly #models = new Map<string, { config: Config; runtime: ModelRuntime }>();
  readonly #thinking = new Map<string, ThinkingLevel>();
  /** Workspace files and auth profiles: read every turn, rarely changed. */
  readonly #files = new TextFileCache();
  #modelSecrets: { parts: (readonly string[])[]; flat: readonly string[] } = { parts: [], flat: [] };
  #stopping = false;
  #timeZone: string | undefined;
  /** Inbox ids whose turn start this process counted and that are not answered yet. */
  readonly #started = new Set<string>();

  constructor(private readonly deps: RunServiceDeps) {
    this.inbox = new Inbox<TurnRequest>({ file: deps.inboxPath, clock: deps.clock });
    const config = deps.config();
    this.lanes = new LaneManager<TurnRequest, TurnResult>({
      run: async (job) => {
        for (const m of job.messages) {
          this.#runs.update(m.runId, { status: 'running', startedAt: deps.clock.now() });
          deps.metrics?.runStarted(m.method);
        }
        await this.#markStarted(job.messages);
        return await this.#turn(job);
      },
      queue: config.messages.queue,
      maxConcurrent: config.agents.defaults.maxConcurrent,
      timeoutMs: config.agents.defaults.timeoutSeconds * 1000 + 30_000,
      fold,
      clock: deps.clock,
    });
  }

  /** Apply config changes that lanes take hot (queue mode, caps, concurrency). */
  configure(config: Config): void {
    this.lanes.configure({ ...config.messages.queue, maxConcurrent: config.agents.defaults.maxConcurrent });
  }

  /** Open the inbox and replay what was accepted but never answered. */
  async start(): Promise<number> {
    const pending = await this.inbox.start();
    /** Sessions holding suspects, in the order of their first one, with the outcomes of their suspects. */
    const suspects = new Map<string, Promise<unknown>[]>();
    for (const record of pending) {
      const req: TurnRequest = { ...record.payload, recovered: true };
      if (record.attempts >= MAX_RECOVERY_ATTEMPTS) {
        // A reply the transcript already holds (a kill between it and the inbox answer) is replayed whatever
        // the count: the turn answers it from there without calling the model.
        const recorded = await recordedFor(this.deps, req);
        if (recorded !== 'reply') {
          // The error reply is queued before the inbox answer: a crash in between abandons it again, the
          // outbound queue (one reply per key) sends it once, and the transcript keeps one apology.
          await abandon(this.deps, this.#runs, req, record.attempts, recorded === 'apology');
          await this.inbox.answer(record.id, 'abandoned');
          continue;
        }
      }
      this.deps.logger.warn(
        { runId: req.runId, sessionKey: req.sessionKey, attempts: record.attempts },
        'replaying a message accepted before a restart',
      );
      if (record.attempts === 0) {
        this.#enqueue(req, record.id);
        continue;
      }
      if (!suspects.has(req.sessionKey)) {
        suspects.set(req.sessionKey, []);
        this.lanes.hold(req.sessionKey);
      }
      suspects.get(req.sessionKey)!.push(this.#enqueue(req, record.id));
    }
    void this.#releaseSuspects(suspects);
    return pending.length;
  }

  /**
   * Replayed messages whose turn had started before the crash (suspects) run one session at a time: a
   * message that takes the gateway down again is then the only one counted for that crash, and healthy
   * messages that happened to share its crashes are not given up with it. A session waiting its turn is
   * held in the lanes (queued, in order, new messages behind; no run slot, no watchdog); other sessions
   * run as usual.
   */
  async #releaseSuspects(sessions: Map<string, Promise<unknown>[]>): Promise<void> {
    for (const [sessionKey, outcomes] of sessions) {
      this.lanes.resume(sessionKey);
      await Promise.all(outcomes);
    }
  }

  /**
   * Count a turn's start in the inbox before it does anything (written, not synced: a process crash keeps
   * it), so a message whose turn keeps taking the gateway down is given up after `MAX_RECOVERY_ATTEMPTS`.
   * A graceful stop takes the count back (`stop`). Non-durable messages are not in the inbox: no count.
   */
  async #markStarted(messages: readonly TurnRequest[]): Promise<void> {
    await Promise.all(
      messages.map(async (m) => {
        try {
          if (await this.inbox.markStarted(m.runId)) this.#started.add(m.runId);
        } catch (err) {
          this.deps.logger.warn({ err: errorMessage(err), runId: m.runId }, 'turn start not counted');
        }
      }),
    );
  }

  /**
   * Accept a message: durable in the inbox first, then queued in its session's lane. `duplicate` says the
   * inbox already had it (the caller answers from the idempotency record instead).
   */
  async submit(
    req: TurnRequest,
    options: { durable?: boolean } = {},
  ): Promise<
    { duplicate: false; outcome: Promise<LaneOutcome<TurnResult>> } | { duplicate: 'open' | 'answered' }
  > {
    // A registered secret in a message is masked before it is stored anywhere or shown to a model.
    req = { ...req, message: scrubSecrets(req.message, this.deps.secrets()) };
    // Not durable: the caller keeps its own record (the scheduler marks a run cut short by a crash
    // `interrupted` and must not see it replayed).
    if (options.durable === false) return { duplicate: false, outcome: this.#enqueue(req, req.runId) };
    const { duplicate } = await this.inbox.accept(req, { id: req.runId, sessionKey: req.sessionKey });
    if (duplicate) return { duplicate };
    return { duplicate: false, outcome: this.#enqueue(req, req.runId) };
  }

  #enqueue(req: TurnRequest, inboxId: string): Promise<LaneOutcome<TurnResult>> {
    this.#runs.update(req.runId, { sessionKey: req.sessionKey, status: 'queued' });
    this.deps.metrics?.runAccepted(req.method);
    const opts = {
      id: inboxId,
      ...(req.queueMode ? { mode: req.queueMode } : {}),
      ...(req.timeoutMs ? { timeoutMs: req.timeoutMs + 30_000 } : {}),
    };
    const ticket = this.lanes.submit(req.sessionKey, req, opts);
    return ticket.outcome.then(async (outcome) => {
      // Cut short by the gateway stopping: not answered, so the next start replays it.
      const cutShort = this.#stopping && outcome.status === 'ok' && outcome.result.status === 'aborted';
      if ((outcome.status === 'dropped' && outcome.reason === 'shutdown') || cutShort) return outcome;
      const end = outcome.status === 'ok' ? outcome.result.status : outcome.status;
      this.deps.metrics?.runFinished(req.method, end, (this.deps.clock.now() - req.acceptedAt) / 1000);
      await this.deps
        .beforeAnswer?.(req, outcome)
        .catch((err) =>
          this.deps.logger.error({ err: errorMessage(err), runId: req.runId }, 'reply not queued'),
        );
      this.#started.delete(inboxId);
      await this.inbox
        .answer(inboxId, outcome.status)
        .catch((err) => this.deps.logger.error({ err: errorMessage(err) }, 'inbox answer failed'));
      const result = outcome.status === 'ok' ? outcome.result : undefined;
      this.#runs.update(req.runId, {
        status: result
          ? result.status === 'ok'
            ? 'ok'
            : result.status === 'error'
              ? 'error'
              : 'timeout'
          : 'error',
        endedAt: this.deps.clock.now(),
        ...(outcome.status !== 'ok'
          ? { error: outcome.error.message }
          : result?.error
            ? { error: result.error.message }
            : {}),
      });
      if (outcome.status === 'dropped') {
        new RunEvents(req.runId, req.sessionKey, req.agentId, this.deps.broadcast).end({
          stopReason: outcome.reason === 'aborted' || outcome.reason === 'superseded' ? 'aborted' : 'error',
          text: '',
          usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
          error: { kind: outcome.reason, message: outcome.error.message },
        });
      }
      if (req.recovered && req.method === 'agent') this.deps.onRecoveredFinal(req, outcome);
      return outcome;
    });
  }

  /** The configured time zone, else the host's (resolved once, at the first turn). */
  #hostTimeZone(): string {
    this.#timeZone ??= this.deps.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
    return this.#timeZone;
  }

  async #turn(job: Parameters<typeof runTurn>[0]): Promise<TurnResult> {
    try {
      return await runTurn(job, {
        config: this.deps.config,
        sessions: this.deps.sessions,
        models: (agentId) => this.#model(agentId),
        broadcast: this.deps.broadcast,
        secrets: this.deps.secrets,
        clock: this.deps.clock,
        timeZone: this.#hostTimeZone(),
        thinking: this.#thinking,
        readFile: this.#files.read,
        ...(this.deps.tools ? { tools: this.deps.tools } : {}),
        ...(this.deps.skills ? { skills: this.deps.skills } : {}),
        ...(this.deps.guard ? { guard: this.deps.guard } : {}),
        ...(this.deps.redact ? { redact: this.deps.redact } : {}),
      });
    } catch (err) {
      const last = job.messages[job.messages.length - 1]!;
      this.deps.logger.error({ err: errorMessage(err), runId: last.runId }, 'turn failed');
      new RunEvents(last.runId, job.sessionKey, last.agentId, this.deps.broadcast).end({
        stopReason: 'error',
        text: '',
        usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
        error: { kind: 'internal', message: errorMessage(err) },
      });
      throw err;
    }
  }

  #model(agentId: string): ModelRuntime {
    const config = this.deps.config();
    const cached = this.#models.get(agentId);
    if (cached && cached.config.models === config.models) return cached.runtime;
    const agent = this.deps.sessions.agent(agentId);
    const created = createModelRuntime({
      models: config.models,
      ...(this.deps.env ? { env: this.deps.env } : {}),
      authProfilesPath: join(agent.agentDir, AUTH_PROFILES_FILE),
      readFile: this.#files.read,
      clock: this.deps.clock,
    });
    const runtime = this.deps.metrics ? this.deps.metrics.meterModel(created) : created;
    this.#models.set(agentId, { config, runtime });
    return runtime;
  }

  /**
   * A note for a session from outside a turn (a background process ended): recorded in its transcript as
   * a system note, which the next turn's context includes.
   */
  notify(sessionKey: string, text: string): void {
    try {
      const { key, agentId } = this.deps.sessions.resolveKey(sessionKey);
      const store = this.deps.sessions.store(agentId);
      void store
        .ensureSession(key)
        .then(() =>
          store.appendMessage(key, { role: 'system', content: scrubSecrets(text, this.deps.secrets()) }),
        )
        .catch((err) =>
          this.deps.logger.warn({ err: errorMessage(err), sessionKey }, 'could not record a session note'),
        );
    } catch (err) {
      this.deps.logger.warn({ err: errorMessage(err), sessionKey }, 'could not record a session note');
    }
  }

  /**
   * Secrets the model runtimes resolved (for scrubbing logs and frames). The same array while no runtime
   * has seen a new one: the redactor asks on every frame.
   */
  modelSecrets(): readonly string[] {
    const parts: (readonly string[])[] = [];
    for (const m of this.#models.values()) parts.push(m.runtime.knownSecrets());
    const last = this.#modelSecrets;
    if (last.parts.length === parts.length && last.parts.every((p, i) => p === parts[i])) return last.flat;
    this.#modelSecrets = { parts, flat: parts.flat() };
    return this.#modelSecrets.flat;
  }

  abort(
    sessionKey: string,
    opts: { clearQueue: boolean; runId?: string },
  ): { runIds: string[]; cleared: number } {
    const info = this.lanes.laneInfo(sessionKey);
    if (opts.runId && info?.runId !== undefined && !this.#isRunOf(sessionKey, opts.runId))
      return { runIds: [], cleared: 0 };
    const res = this.lanes.abort(sessionKey, { clearPending: opts.clearQueue });
    return { runIds: res.runIds, cleared: res.dropped };
  }

  #isRunOf(sessionKey: string, runId: string): boolean {
    const info = this.#runs.info(runId);
    return info?.sessionKey === sessionKey && info.status === 'running';
  }

  info(runId: string): RunInfo | undefined {
    return this.#runs.info(runId);
  }

  /** Resolve when the run ends, or after `timeoutMs` with its current state. */
  wait(runId: string, timeoutMs: number): Promise<RunInfo | undefined> {
    return this.#runs.wait(runId, timeoutMs);
  }

  /**
   * Let running turns finish for up to `drainMs`, then stop: what is still queued or running stays in the
   * inbox, unanswered, for the next start. A turn cut short here did not crash the gateway: its start is
   * taken back (`markInterrupted`), so restarts never make a healthy message look like a poison one.
   */
  async stop(drainMs = 5000): Promise<void> {
    await Promise.race([this.lanes.idle(), new Promise((r) => setTimeout(r, drainMs).unref())]);
    this.#stopping = true;
    await this.lanes.stop();
    const interrupted = [...this.#started];
    this.#started.clear();
    await Promise.all(
      interrupted.map((id) =>
        this.inbox
          .markInterrupted(id)
          .catch((err) =>
            this.deps.logger.warn({ err: errorMessage(err), runId: id }, 'interrupted turn still counted'),
          ),
      ),
    );
    await this.inbox.stop();
  }
}
