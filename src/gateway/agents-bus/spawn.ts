import { formatSessionKey, parseSessionKey } from '../../routing/index.js';
import type { LaneOutcome } from '../../sessions/index.js';
import { CarapaceError, newId } from '../../shared/index.js';
import { wrapUntrusted } from '../../tools/index.js';
import type { TurnResult } from '../runs/types.js';
import { type BusCore, type Caller, settle } from './core.js';
import { A2A_DENIED, A2A_LIMIT, agentRefusal, limitError } from './policy.js';
import type { ChildRecord } from './registry.js';

export interface SpawnArgs {
  task: string;
  agentId?: string;
  label?: string;
  timeoutSeconds?: number;
}

export interface SpawnResult {
  status: 'accepted';
  sessionKey: string;
  runId: string;
  agentId: string;
  label: string;
  timeoutSeconds: number;
}

const DEPTH_KEY = 'agentToAgent.subagents.maxSpawnDepth';

/** How deep `sessionKey` is in a spawn tree: 0 for an ordinary session; unknown sub-agents count as too deep. */
function depthOf(core: BusCore, sessionKey: string): number {
  const record = core.registry.child(sessionKey);
  if (record) return record.depth;
  return parseSessionKey(sessionKey).kind === 'subagent' ? Number.POSITIVE_INFINITY : 0;
}

function checkDepth(depth: number, max: number): void {
  if (depth < max) return;
  if (max === 0) throw limitError('spawning sub-agents is off', DEPTH_KEY, max);
  if (!Number.isFinite(depth)) {
    throw new CarapaceError(
      A2A_LIMIT,
      `this sub-agent session has no known parent (it began before a restart), so it may not spawn sub-agents (${DEPTH_KEY})`,
    );
  }
  throw limitError(
    `this session is a sub-agent at depth ${depth} and may not spawn further sub-agents: raise ${DEPTH_KEY} to allow nesting`,
    DEPTH_KEY,
    max,
  );
}

function subagentPrompt(parentKey: string): string {
  return [
    `You are a sub-agent that session ${parentKey} started for one task, given as the message below.`,
    'Work on it on your own: nobody reads your messages while you work.',
    'Your final reply is your result. It is reported back to that session, so make it complete and self-contained.',
  ].join(' ');
}

/**
 * Start a sub-agent in `agent:<id>:subagent:<uuid>` in the background and return its key at once. When
 * its run ends, its result is announced in the spawning session (a new turn there, or a note). Refused
 * past `maxSpawnDepth`, `maxChildrenPerSession`, `maxConcurrent`, `maxExchanges`, or for an agent the
 * allowlist does not grant.
 */
export async function spawnSubagent(core: BusCore, caller: Caller, args: SpawnArgs): Promise<SpawnResult> {
  const config = core.a2a();
  const limits = config.subagents;
  const agentId = core.deps.sessions.agent(args.agentId ?? caller.agentId).id;
  checkDepth(depthOf(core, caller.sessionKey), limits.maxSpawnDepth);
  const refusal = agentRefusal(config, caller.agentId, agentId);
  if (refusal) throw new CarapaceError(A2A_DENIED, refusal);
  const mine = core.registry.runningChildren(caller.sessionKey);
  if (mine >= limits.maxChildrenPerSession) {
    throw limitError(
      `this session already has ${mine} sub-agents running; wait for one to finish`,
      'agentToAgent.subagents.maxChildrenPerSession',
      limits.maxChildrenPerSession,
    );
  }
  const total = core.registry.runningTotal();
  if (total >= limits.maxConcurrent) {
    throw limitError(
      `${total} sub-agents are already running in this gateway; try again when one finishes`,
      'agentToAgent.subagents.maxConcurrent',
      limits.maxConcurrent,
    );
  }
  const lineage = core.registry.lineage(caller.runId);
  core.countExchange(lineage.origin);

  const id = newId();
  const sessionKey = formatSessionKey({ kind: 'subagent', agentId, runId: id });
  const label = (args.label ?? args.task.split('\n')[0] ?? '').trim().slice(0, 80) || 'sub-agent';
  const timeoutSeconds = Math.min(args.timeoutSeconds ?? limits.timeoutSeconds, limits.timeoutSeconds);
  const parent = core.registry.child(caller.sessionKey);
  const record: ChildRecord = {
    sessionKey,
    agentId,
    parentKey: caller.sessionKey,
    parentAgentId: caller.agentId,
    depth: (parent?.depth ?? 0) + 1,
    runId: `spawn:${id}`,
    label,
    startedAt: core.now(),
    status: 'running',
  };
  // The slot is taken before the first await, so calls made at once cannot overshoot the limits.
  core.registry.addChild(record);
  let outcome: Promise<LaneOutcome<TurnResult>>;
  try {
    const store = core.deps.sessions.store(agentId);
    await store.ensureSession(sessionKey, { label, origin: { source: 'subagent' } });
    ({ outcome } = await core.start(
      {
        runId: record.runId,
        sessionKey,
        agentId,
        message: args.task,
        timeoutMs: timeoutSeconds * 1000,
        extraSystemPrompt: subagentPrompt(caller.sessionKey),
      },
      { origin: lineage.origin, waiting: [] },
    ));
  } catch (err) {
    core.registry.finishChild(sessionKey, 'error', core.now());
    throw err;
  }
  void outcome
    .then((o) => announce(core, record, o, lineage.origin))
    .catch((err) => core.warn('announcing a sub-agent failed', { child: sessionKey }, err));
  return { status: 'accepted', sessionKey, runId: record.runId, agentId, label, timeoutSeconds };
}

function statusLine(record: ChildRecord, status: string, error: string | undefined, seconds: number): string {
  const how =
    status === 'ok'
      ? `finished after ${seconds} s`
      : status === 'timeout'
        ? `timed out after ${seconds} s`
        : `ended with ${status}${error ? `: ${error}` : ''}`;
  return `[Sub-agent ${record.sessionKey} ("${record.label}") ${how}. Its result:]`;
}

/** Report a finished sub-agent to the session that spawned it. */
async function announce(
  core: BusCore,
  record: ChildRecord,
  outcome: LaneOutcome<TurnResult>,
  origin: string,
): Promise<void> {
  const s = settle(outcome);
  const endedAt = core.now();
  core.registry.finishChild(record.sessionKey, s.status, endedAt);
  const seconds = Math.max(0, Math.round((endedAt - record.startedAt) / 1000));
  const body = s.text ? wrapUntrusted(s.text, { source: `sub-agent ${record.sessionKey}` }) : '(no reply)';
  const text = `${statusLine(record, s.status, s.error, seconds)}\n${body}`;
  // A parent that is itself a finished sub-agent has nobody left to act on it: a note is enough.
  const parent = core.registry.child(record.parentKey);
  const asNote = core.a2a().subagents.announce === 'note' || (parent && parent.status !== 'running');
  if (asNote) return core.note(record.parentKey, text);
  try {
    await core.start(
      {
        runId: `announce:${newId()}`,
        sessionKey: record.parentKey,
        agentId: record.parentAgentId,
        message: text,
      },
      { origin, waiting: [] },
    );
  } catch (err) {
    core.warn('could not announce a sub-agent result; recorded as a note', { child: record.sessionKey }, err);
    core.note(record.parentKey, text);
  }
}
