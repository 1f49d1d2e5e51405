import type { ChannelGroup, DmPolicy } from '../config/index.js';
import type { InboundEnvelope } from '../routing/index.js';
import { CarapaceError, isCarapaceError } from '../shared/index.js';

/** What a platform can do; the pipeline adapts to it (chunk size, typing, reactions, reply threading). */
export interface ChannelCapabilities {
  /** Most characters of source text one outbound message may carry; replies are chunked to fit. */
  textLimit: number;
  /** How the adapter renders outbound text (informational: the adapter does the rendering). */
  format: 'plain' | 'markdown' | 'html';
  typing: boolean;
  reactions: boolean;
  /** Replies in groups can quote the message they answer. */
  replyThreading: boolean;
}

/** The DM and group policy of one account (read on every message, so config edits apply at once). */
export interface ChannelPolicy {
  dmPolicy: DmPolicy;
  /** Stable sender ids always allowed to DM. Never display names. */
  allowFrom: readonly string[];
  /** Allowlisted groups by id, or `'*'`. */
  groups: Readonly<Record<string, ChannelGroup>>;
  mentionPatterns?: readonly string[] | undefined;
  historyLimit: number;
  ackReaction?: string | undefined;
}

/** One outbound message (one chunk, already cut to the platform's limit). */
export interface OutboundMessage {
  /** The conversation: a chat, group or channel id on the platform. */
  to: string;
  /** Source text (Markdown); the adapter renders it for the platform. */
  text: string;
  /** Quote this platform message id (reply threading). */
  replyTo?: string | undefined;
  threadId?: string | undefined;
}

/** What the platform answered for a delivered message. */
export interface SentMessage {
  messageId: string;
}

/** Connectivity of one account, as the adapter sees it. */
export interface AccountStatus {
  channel: string;
  accountId: string;
  enabled: boolean;
  configured: boolean;
  running: boolean;
  connected: boolean;
  lastError?: string;
  lastErrorAt?: number;
  lastStartAt?: number;
  lastInboundAt?: number;
  lastOutboundAt?: number;
  /** The bot itself on the platform. */
  self?: { id: string; username?: string };
  loggedOut?: boolean;
}

/** A small structured logger (pino's Logger satisfies it). Never give it secrets. */
export interface ChannelLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What the manager gives an adapter when it starts. */
export interface AdapterHost {
  /** Hand one normalized inbound message to the pipeline. Never throws; resolves when it was handled. */
  inbound(envelope: InboundEnvelope): Promise<void>;
  logger: ChannelLogger;
}

/**
 * A messaging platform. One adapter serves every account of its platform; accounts are read from config.
 * `send` delivers exactly one chunk and reports failures as `channelSendError`s so the delivery queue
 * knows whether a retry is safe.
 */
export interface ChannelAdapter {
  readonly channel: string;
  readonly capabilities: ChannelCapabilities;
  /** Enabled accounts. */
  accountIds(): string[];
  policy(accountId: string): ChannelPolicy | undefined;
  /** Ids that count as mentioning the bot itself in groups (the bot's stable user id). */
  selfIds(accountId: string): readonly string[];
  start(host: AdapterHost): Promise<void>;
  stop(): Promise<void>;
  /** Re-read config: start added accounts, stop removed ones, restart changed credentials. */
  reload?(): Promise<void>;
  send(accountId: string, message: OutboundMessage): Promise<SentMessage>;
  typing?(accountId: string, to: string): Promise<void>;
  react?(accountId: string, to: string, messageId: string, emoji: string): Promise<void>;
  status(): AccountStatus[];
  /** Stop the account and forget its platform session; it stays stopped until its config changes. */
  logout?(accountId: string): Promise<{ cleared: boolean }>;
}

/**
 * How a failed send ended: `retry` (nothing was delivered; safe to try again), `fatal` (the platform
 * refused it; trying again will not help), `unknown` (the request may have been delivered: a lost
 * response; retrying could show a duplicate).
 */
export type SendOutcome = 'retry' | 'fatal' | 'unknown';

/** The error an adapter throws from `send`. */
export function channelSendError(
  outcome: SendOutcome,
  message: string,
  options: { retryAfterMs?: number; status?: number; cause?: unknown } = {},
): CarapaceError {
  const details: Record<string, unknown> = { outcome };
  if (options.status !== undefined) details.status = options.status;
  return new CarapaceError('CHANNEL_SEND_FAILED', message, {
    details,
    retryable: outcome === 'retry',
    ...(options.retryAfterMs !== undefined ? { retryAfterMs: options.retryAfterMs } : {}),
    ...(options.cause !== undefined ? { cause: options.cause } : {}),
  });
}

/** The outcome of a send failure; anything that is not a `channelSendError` counts as `unknown`. */
export function sendOutcomeOf(err: unknown): SendOutcome {
  if (isCarapaceError(err, 'CHANNEL_SEND_FAILED')) {
    const outcome = err.details?.outcome;
    if (outcome === 'retry' || outcome === 'fatal' || outcome === 'unknown') return outcome;
  }
  return 'unknown';
}
