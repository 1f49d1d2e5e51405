import type { InboundEnvelope } from '../routing/index.js';
import type { ChannelLogger } from './contract.js';

/**
 * Where the reply to one inbound message goes: the outbound `key` (a reply is sent once per key, however
 * often it is enqueued), the account, the recipient and the platform's threading.
 */
export interface ReplyTarget {
  channel: string;
  accountId: string;
  to: string;
  key: string;
  replyTo?: string;
  threadId?: string;
}

/** Where an accepted inbound message goes: the gateway runs the agent turn and answers with its reply. */
export interface InboundSink {
  /**
   * Run one turn for `envelope` in `route.sessionKey`. `idempotencyKey` is stable per platform message
   * (a redelivered message carries the same key), so the gateway never runs it twice. Resolves with the
   * reply text (empty: nothing to send) or an error to show the sender.
   */
  submit(
    envelope: InboundEnvelope,
    route: { agentId: string; sessionKey: string },
    idempotencyKey: string,
    /** Where the reply goes: kept with the message so a reply finished after a restart still arrives. */
    reply?: ReplyTarget,
  ): Promise<{ text: string } | { error: string }>;
}

/** Broadcasts a gateway event (`pairing.requested`). */
export type EmitFn = (event: string, payload: unknown) => void;

/** Waits `ms` (a port so tests can record backoff without waiting). Rejects when `signal` aborts. */
export type SleepFn = (ms: number, signal?: AbortSignal) => Promise<void>;

/** A logger that drops everything. */
export const silentLogger: ChannelLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};
