import type { HeartbeatEvent, WakeParams } from '../protocol/index.js';
import { formatSessionKey, parseSessionKey, sessionKeyAgentId } from '../routing/index.js';
import { type Clock, errorMessage } from '../shared/index.js';
import type { HeartbeatBudget } from './heartbeat-budget.js';
import {
  DEFAULT_HEARTBEAT_PROMPT,
  dayOf,
  type HeartbeatSettings,
  heartbeatDeliveryText,
  heartbeatFileIsEmpty,
  inActiveHours,
  isHeartbeatAck,
} from './heartbeat-settings.js';
import type { DeliveryTarget, SchedulerLog, SchedulerPorts, Timers } from './ports.js';

interface AgentBeat {
  settings: HeartbeatSettings | undefined;
  timer?: unknown;
  nextAt?: number;
  running?: Promise<void>;
  again?: { sessionKey: string; reason: string };
  pending: number;
}

export interface HeartbeatsOptions {
  ports: SchedulerPorts;
  clock: Clock;
  timers: Timers;
  log?: SchedulerLog;
  /** Longest single timer wait, so a wall-clock jump is noticed within this long. */
  maxTimerMs: number;
  /** Tokens spent per agent and day (for `dailyTokenBudget`). */
  budget?: HeartbeatBudget;
}

/**
 * Periodic heartbeat turns per agent (`runTurn({heartbeat: true})` in the main session), plus
 * on-demand ones (`requestNow`). Never two at once per agent: a request during a run runs once after it.
 */
export class Heartbeats {
  readonly #o: HeartbeatsOptions;
  readonly #agents = new Map<string, AgentBeat>();
  #abort = new AbortController();
  #started = false;

  constructor(options: HeartbeatsOptions) {
    this.#o = options;
  }

  #agent(agentId: string): AgentBeat {
    let a = this.#agents.get(agentId);
    if (!a) {
      a = { settings: undefined, pending: 0 };
      this.#agents.set(agentId, a);
    }
    return a;
  }

  /** Replace the settings; agents keep their next time unless their interval changed. */
  configure(settings: Record<string, HeartbeatSettings>): void {
    for (const [id, a] of this.#agents) {
      const s = settings[id];
      if (a.settings?.everyMs !== s?.everyMs) delete a.nextAt;
      a.settings = s;
      if (!s) this.#clear(a);
    }
    for (const [id, s] of Object.entries(settings)) this.#agent(id).settings = s;
    if (this.#started) for (const id of this.#agents.keys()) this.#arm(id);
  }

  /** Read what heartbeats spent today (before `start`). */
  async load(): Promise<void> {
    await this.#o.budget?.load();
  }

  start(): void {
    if (this.#abort.signal.aborted) this.#abort = new AbortController();
    this.#started = true;
    for (const id of this.#agents.keys()) this.#arm(id);
  }

  /** Stop the timers and abort running heartbeat turns; resolves when they have returned. */
  async stop(): Promise<void> {
    this.#started = false;
    this.#abort.abort();
    for (const a of this.#agents.values()) this.#clear(a);
    await Promise.all([...this.#agents.values()].map((a) => a.running));
    await this.#o.budget?.flush();
  }

  /** True when the agent has a periodic heartbeat. */
  has(agentId: string): boolean {
    return this.#agents.get(agentId)?.settings !== undefined;
  }

  /** When each agent's next periodic heartbeat is due. */
  nextAt(agentId: string): number | undefined {
    return this.#agents.get(agentId)?.nextAt;
  }

  /** A system event was queued for the agent: the next heartbeat is not skipped as empty. */
  noteEvent(agentId: string): void {
    this.#agent(agentId).pending += 1;
  }

  /** `wake`: queue `text` in a session (default: the default agent's main one) and maybe beat now. */
  async wake(params: WakeParams, defaultAgentId: string): Promise<void> {
    let agentId = defaultAgentId;
    let target: string | undefined;
    if (params.sessionKey !== undefined) {
      const parts = parseSessionKey(params.sessionKey, { defaultAgentId });
      agentId = sessionKeyAgentId(parts, defaultAgentId);
      target = formatSessionKey(parts);
    }
    target ??= formatSessionKey({ kind: 'main', agentId });
    await this.#o.ports.systemEvent(agentId, target, params.text);
    this.noteEvent(agentId);
    // Without a periodic heartbeat "next heartbeat" would never come, so such an agent is woken now.
    if (params.mode === 'now' || !this.has(agentId)) this.requestNow(agentId, 'wake', target);
  }

  /** Run a heartbeat for the agent now (in `sessionKey`, default its main session). */
  requestNow(agentId: string, reason: string, sessionKey?: string): void {
    if (!this.#started) return;
    this.#run(agentId, sessionKey ?? formatSessionKey({ kind: 'main', agentId }), reason);
  }

  #clear(a: AgentBeat): void {
    if (a.timer !== undefined) this.#o.timers.clearTimeout(a.timer);
    delete a.timer;
  }

  #arm(agentId: string): void {
    const a = this.#agent(agentId);
    this.#clear(a);
    if (!this.#started || !a.settings) return;
    const now = this.#o.clock.now();
    a.nextAt ??= now + a.settings.everyMs;
    // A wall clock set back by more than an interval would otherwise wait that long.
    if (a.nextAt - now > a.settings.everyMs) a.nextAt = now + a.settings.everyMs;
    const delay = Math.min(Math.max(0, a.nextAt - now), this.#o.maxTimerMs);
    a.timer = this.#o.timers.setTimeout(() => this.#onTimer(agentId), delay);
  }

  #onTimer(agentId: string): void {
    const a = this.#agent(agentId);
    delete a.timer;
    if (!this.#started || !a.settings || a.nextAt === undefined) return;
    const now = this.#o.clock.now();
    if (now >= a.nextAt) {
      a.nextAt = now + a.settings.everyMs;
      this.#run(agentId, formatSessionKey({ kind: 'main', agentId }), 'interval');
    }
    this.#arm(agentId);
  }

  #run(agentId: string, sessionKey: string, reason: string): void {
    const a = this.#agent(agentId);
    if (a.running) {
      a.again ??= { sessionKey, reason };
      return;
    }
    a.running = this.#beat(agentId, sessionKey, reason).finally(() => {
      delete a.running;
      const again = a.again;
      delete a.again;
      if (again && this.#started) this.#run(agentId, again.sessionKey, again.reason);
    });
  }

  async #beat(agentId: string, sessionKey: string, reason: string): Promise<void> {
    const a = this.#agent(agentId);
    const { ports, clock } = this.#o;
    const emit = (e: Omit<HeartbeatEvent, 'ts' | 'agentId' | 'sessionKey'>) =>
      ports.emit('heartbeat', { ts: clock.now(), agentId, sessionKey, ...e });
    try {
      const settings = a.settings;
      if (reason === 'interval') {
        const hours = settings?.activeHours;
        if (hours && !inActiveHours(hours, clock.now()))
          return emit({ status: 'skipped', reason: 'quiet-hours' });
        if (
          a.pending === 0 &&
          ports.heartbeatFile &&
          heartbeatFileIsEmpty(await ports.heartbeatFile(agentId))
        ) {
          return emit({ status: 'skipped', reason: 'empty-heartbeat-file' });
        }
      }
      // Over budget: queued events stay queued for the next turn of the session.
      if (await this.#overBudget(agentId, settings)) return emit({ status: 'skipped', reason: 'budget' });
      a.pending = 0;
      const started = clock.monotonic();
      const out = await ports.runTurn({
        agentId,
        sessionKey,
        message: settings?.prompt ?? DEFAULT_HEARTBEAT_PROMPT,
        heartbeat: true,
        signal: this.#abort.signal,
        ...(settings?.model ? { model: settings.model } : {}),
      });
      const durationMs = Math.max(0, Math.round(clock.monotonic() - started));
      if (out.tokens && this.#o.budget) {
        await this.#o.budget.add(agentId, this.#day(settings), out.tokens);
      }
      if (out.status !== 'ok') return emit({ status: 'failed', reason: out.error ?? out.status, durationMs });
      if (isHeartbeatAck(out.text)) return emit({ status: 'ok-token', reason, durationMs });
      const text = heartbeatDeliveryText(out.text);
      const target = await this.#target(agentId, settings);
      if (target) await ports.deliver({ ...target, text });
      emit({ status: 'sent', reason, preview: text.slice(0, 200), durationMs });
    } catch (err) {
      this.#o.log?.warn(`heartbeat of agent ${agentId} failed`, { error: errorMessage(err) });
      emit({ status: 'failed', reason: errorMessage(err) });
    }
  }

  /** Where the agent's heartbeat replies go: a fixed recipient, the last one it talked with, or none. */
  async #target(
    agentId: string,
    settings: HeartbeatSettings | undefined,
  ): Promise<DeliveryTarget | undefined> {
    const target = settings?.target ?? 'last';
    if (target === 'none') return undefined;
    if (target === 'last') return this.#o.ports.lastTarget?.(agentId);
    return target;
  }

  /** The budget's day: in the active hours' zone, else the host's. */
  #day(settings: HeartbeatSettings | undefined): string {
    return dayOf(this.#o.clock.now(), settings?.activeHours?.timezone);
  }

  /** True when today's budget is spent; the first time each day the pause is announced on the target. */
  async #overBudget(agentId: string, settings: HeartbeatSettings | undefined): Promise<boolean> {
    const limit = settings?.dailyTokenBudget;
    const budget = this.#o.budget;
    if (limit === undefined || !budget) return false;
    const day = this.#day(settings);
    const used = budget.used(agentId, day);
    if (used < limit) return false;
    if (budget.firstNotice(agentId, day)) {
      const text = `Heartbeats of agent ${agentId} are paused for today: they used ${used} of their ${limit} daily tokens. They resume tomorrow.`;
      this.#o.log?.warn(text, { agentId, used, limit });
      const target = await this.#target(agentId, settings).catch(() => undefined);
      if (target) {
        await this.#o.ports
          .deliver({ ...target, text })
          .catch((err) =>
            this.#o.log?.warn('heartbeat: could not announce the pause', { error: errorMessage(err) }),
          );
      }
    }
    return true;
  }
}
