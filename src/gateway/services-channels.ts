import { ChannelManager } from '../channels/index.js';
import type { Config, StatePaths } from '../config/index.js';
import type { LaneOutcome } from '../sessions/index.js';
import { type Clock, errorMessage } from '../shared/index.js';
import { stripSpecialTokens } from '../tools/index.js';
import type { Logger } from './logger.js';
import type { RunService } from './runs/run-service.js';
import type { TurnResult } from './runs/types.js';
import type { GatewaySessions } from './sessions.js';

/** What the channels need from the gateway that hosts them. */
export interface ChannelsHost {
  config(): Config;
  paths: StatePaths;
  env: NodeJS.ProcessEnv;
  clock: Clock;
  logger: Logger;
  broadcast(event: string, payload: unknown): void;
}

/** What a channel message's sender is told: the reply text, or the error of the run. */
export function channelResult(outcome: LaneOutcome<TurnResult>): { text: string } | { error: string } {
  if (outcome.status !== 'ok') return { error: outcome.error.message };
  if (outcome.result.status === 'error') return { error: outcome.result.error?.message ?? 'the run failed' };
  return { text: outcome.result.text };
}

/** The channel, account and peer a channel message came from, kept on its session (a heartbeat's `last` target). */
async function rememberRoute(
  sessions: GatewaySessions,
  route: { agentId: string; sessionKey: string },
  envelope: { channel?: string; accountId?: string; peer?: { id: string } },
): Promise<void> {
  if (!envelope.channel || !envelope.peer) return;
  const patch = {
    lastChannel: envelope.channel,
    lastTo: envelope.peer.id,
    lastAccountId: envelope.accountId ?? null,
  };
  await sessions
    .store(route.agentId)
    .updateSession(route.sessionKey, patch)
    .catch(() => undefined);
}

/**
 * The chat channels, their messages submitted as `channel` turns of the run path: the reply (or the run's
 * error) goes back to the sender, and the sender's route is remembered on the session.
 */
export function createChannels(
  host: ChannelsHost,
  runs: RunService,
  sessions: GatewaySessions,
): ChannelManager {
  return new ChannelManager({
    config: host.config,
    paths: host.paths,
    env: host.env,
    clock: host.clock,
    logger: host.logger.child({ subsystem: 'channels' }),
    emit: (event, payload) => host.broadcast(event, payload),
    sink: {
      submit: async (envelope, route, idempotencyKey, reply) => {
        const req = {
          ...(reply ? { reply } : {}),
          v: 1 as const,
          runId: idempotencyKey,
          method: 'channel' as const,
          sessionKey: route.sessionKey,
          agentId: route.agentId,
          // Chat-template tokens never reach a model from a chat (they could fake a turn boundary).
          message: stripSpecialTokens(envelope.text),
          acceptedAt: host.clock.now(),
        };
        try {
          const sub = await runs.submit(req);
          if (sub.duplicate) return { text: '' };
          const outcome = await sub.outcome;
          await rememberRoute(sessions, route, envelope);
          return channelResult(outcome);
        } catch (err) {
          return { error: errorMessage(err) };
        }
      },
    },
  });
}
