import { randomUUID } from 'node:crypto';
import { parseChatCommand } from '../../agent/index.js';
import type { Config } from '../../config/index.js';
import {
  type AgentFinal,
  type AgentParams,
  type ChatSendParams,
  METHOD_SPECS,
} from '../../protocol/index.js';
import type { LaneOutcome } from '../../sessions/index.js';
import { CarapaceError, type Clock } from '../../shared/index.js';
import type { IdempotencyRecord } from '../idempotency.js';
import type { MethodRegistry } from '../registry.js';
import type { RunService } from '../runs/run-service.js';
import type { TurnRequest, TurnResult } from '../runs/types.js';
import type { GatewaySessions } from '../sessions.js';

export interface AgentMethodDeps {
  config(): Config;
  sessions: GatewaySessions;
  runs: RunService;
  clock: Clock;
}

/** The final answer of `agent` (PROTOCOL.md) for a lane outcome. */
export function agentFinal(runId: string, outcome: LaneOutcome<TurnResult>): AgentFinal {
  if (outcome.status !== 'ok') {
    const aborted =
      outcome.status === 'dropped' &&
      (outcome.error.code === 'ABORTED' || /abort|supersed/i.test(outcome.error.message));
    if (aborted) return { runId, status: 'timeout', summary: 'aborted', stopReason: 'aborted' };
    return {
      runId,
      status: 'error',
      summary: outcome.error.message,
      error: { kind: outcome.error.code, message: outcome.error.message },
    };
  }
  const r = outcome.result;
  if (r.status === 'aborted' || r.status === 'timeout') {
    return {
      runId,
      status: 'timeout',
      summary: r.status === 'aborted' ? 'aborted' : 'timed out',
      stopReason: r.stopReason,
    };
  }
  if (r.status === 'error') {
    const error = r.error ?? { kind: 'internal', message: 'the run failed' };
    return { runId, status: 'error', summary: error.message, stopReason: r.stopReason, error };
  }
  const agentMeta: NonNullable<AgentFinal['result']>['meta']['agentMeta'] = {
    sessionId: r.sessionId,
    usage: r.usage,
    cost: r.cost,
  };
  if (r.provider) agentMeta.provider = r.provider;
  if (r.model) agentMeta.model = r.model;
  return {
    runId,
    status: 'ok',
    summary: 'completed',
    stopReason: r.stopReason,
    result: {
      payloads: r.text ? [{ text: r.text }] : [],
      meta: { durationMs: r.endedAt - r.startedAt, agentMeta },
    },
  };
}

const inFlight = (record: IdempotencyRecord) => ({ runId: record.key, status: 'in_flight' });

/** Text attachments become part of the message (fenced, with their names); nothing else is read. */
function withAttachments(params: ChatSendParams): string {
  const parts = [params.message];
  for (const a of params.attachments ?? []) {
    if (a.mimeType && !a.mimeType.startsWith('text/') && a.mimeType !== 'application/json') {
      throw new CarapaceError(
        'UNSUPPORTED_ATTACHMENT',
        `attachment ${a.fileName ?? ''} (${a.mimeType}) is not text; only text attachments are supported`,
      );
    }
    parts.push(`\n\n[attachment${a.fileName ? ` ${a.fileName}` : ''}]\n\`\`\`\n${a.content}\n\`\`\``);
  }
  const text = parts.join('').trim();
  if (!text)
    throw new CarapaceError(
      'INVALID_PARAMS',
      'invalid chat.send params: message is empty (send text or a text attachment)',
    );
  return text;
}

/** `agent`, `agent.wait`, `chat.send`, `chat.abort`, `agents.list`, `agent.identity.get`, `models.list`. */
export function registerAgentMethods(registry: MethodRegistry, deps: AgentMethodDeps): void {
  const { sessions, runs } = deps;

  registry.register('agent', {
    spec: METHOD_SPECS.agent,
    idempotency: { required: true, inFlight },
    handler: async (p: AgentParams, ctx) => {
      let agentId = p.agentId ?? sessions.defaultAgentId();
      let sessionKey = `agent:${agentId}:main`;
      if (p.sessionKey) {
        const resolved = sessions.resolveKey(p.sessionKey);
        if (p.agentId && p.agentId !== resolved.agentId) {
          throw new CarapaceError(
            'INVALID_PARAMS',
            `invalid agent params: sessionKey belongs to agent '${resolved.agentId}', not '${p.agentId}'`,
          );
        }
        ({ key: sessionKey, agentId } = resolved);
      } else sessions.agent(agentId);
      const req: TurnRequest = {
        v: 1,
        runId: p.idempotencyKey,
        method: 'agent',
        sessionKey,
        agentId,
        message: p.message,
        acceptedAt: deps.clock.now(),
      };
      if (p.thinking) req.thinking = p.thinking;
      if (p.timeout) req.timeoutMs = p.timeout * 1000;
      if (p.extraSystemPrompt) req.extraSystemPrompt = p.extraSystemPrompt;
      const sub = await runs.submit(req);
      if (sub.duplicate) return { runId: req.runId, status: 'in_flight' };
      ctx.accept({ runId: req.runId, sessionKey, agentId, status: 'accepted', acceptedAt: req.acceptedAt });
      return agentFinal(req.runId, await sub.outcome);
    },
  });

  registry.register('agent.wait', {
    spec: METHOD_SPECS['agent.wait'],
    handler: async (p: { runId: string; timeoutMs?: number }) => {
      const info = await runs.wait(p.runId, p.timeoutMs ?? 30_000);
      if (!info) {
        throw new CarapaceError(
          'RUN_NOT_FOUND',
          `no run '${p.runId}' is known to this gateway (finished runs are remembered for a while)`,
          {
            details: { runId: p.runId },
          },
        );
      }
      const status = info.status === 'ok' || info.status === 'error' ? info.status : 'timeout';
      return {
        runId: p.runId,
        status,
        ...(info.startedAt ? { startedAt: info.startedAt } : {}),
        ...(info.endedAt ? { endedAt: info.endedAt } : {}),
        ...(info.error ? { error: info.error } : {}),
      };
    },
  });

  registry.register('chat.send', {
    spec: METHOD_SPECS['chat.send'],
    idempotency: { required: true, inFlight },
    handler: async (p: ChatSendParams) => {
      const { key, agentId } = sessions.resolveKey(p.sessionKey);
      const message = withAttachments(p);
      if (parseChatCommand(message)?.name === 'stop') {
        const res = runs.abort(key, { clearQueue: true });
        return { runId: p.idempotencyKey, status: 'ok', sessionKey: key, aborted: res.runIds };
      }
      const req: TurnRequest = {
        v: 1,
        runId: p.idempotencyKey,
        method: 'chat.send',
        sessionKey: key,
        agentId,
        message,
        acceptedAt: deps.clock.now(),
      };
      if (p.thinking) req.thinking = p.thinking;
      if (p.timeoutMs) req.timeoutMs = p.timeoutMs;
      if (p.queueMode) req.queueMode = p.queueMode;
      const sub = await runs.submit(req);
      return { runId: req.runId, status: sub.duplicate ? 'in_flight' : 'started', sessionKey: key };
    },
  });

  registry.register('sessions.compact', {
    spec: METHOD_SPECS['sessions.compact'],
    handler: async (p: { key: string; instructions?: string; idempotencyKey?: string }) => {
      const { key, agentId } = sessions.resolveKey(p.key);
      const runId = p.idempotencyKey ?? `compact:${randomUUID()}`;
      const message = p.instructions ? `/compact ${p.instructions}` : '/compact';
      const req: TurnRequest = {
        v: 1,
        runId,
        method: 'chat.send',
        sessionKey: key,
        agentId,
        message,
        acceptedAt: deps.clock.now(),
      };
      const sub = await runs.submit(req);
      if (sub.duplicate) return { ok: true, key, runId, text: 'already requested' };
      const outcome = await sub.outcome;
      if (outcome.status !== 'ok') return { ok: false, key, runId, text: outcome.error.message };
      return { ok: outcome.result.status === 'ok', key, runId, text: outcome.result.text };
    },
  });

  registry.register('chat.abort', {
    spec: METHOD_SPECS['chat.abort'],
    handler: (p: { sessionKey: string; runId?: string }) => {
      const { key } = sessions.resolveKey(p.sessionKey);
      const res = runs.abort(key, {
        clearQueue: p.runId === undefined,
        ...(p.runId ? { runId: p.runId } : {}),
      });
      return { ok: true, aborted: res.runIds.length > 0, runIds: res.runIds };
    },
  });

  registry.register('agents.list', {
    spec: METHOD_SPECS['agents.list'],
    handler: () => {
      const config = deps.config();
      const defaultId = sessions.defaultAgentId();
      return {
        defaultId,
        mainKey: 'main',
        agents: sessions.agents().map((a) => ({
          id: a.id,
          name: a.name,
          isDefault: a.id === defaultId,
          workspace: a.workspaceDir,
          ...((a.model ?? config.agents.defaults.model)
            ? { model: a.model ?? config.agents.defaults.model }
            : {}),
        })),
      };
    },
  });

  registry.register('agent.identity.get', {
    spec: METHOD_SPECS['agent.identity.get'],
    handler: (p: { agentId?: string; sessionKey?: string }) => {
      const agentId = p.sessionKey
        ? sessions.resolveKey(p.sessionKey).agentId
        : (p.agentId ?? sessions.defaultAgentId());
      const agent = sessions.agent(agentId);
      return { agentId, name: agent.name };
    },
  });

  registry.register('models.list', {
    spec: METHOD_SPECS['models.list'],
    handler: () => ({
      models: Object.entries(deps.config().models.providers).flatMap(([provider, p]) =>
        p.models.map((m) => ({
          id: `${provider}/${m.id}`,
          provider,
          name: m.name ?? m.id,
          contextWindow: m.contextWindow,
          maxTokens: m.maxTokens,
          api: p.api,
        })),
      ),
    }),
  });
}
