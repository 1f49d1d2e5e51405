import type { Config, DmScope } from '../config/index.js';
import { createEnvelopeValidator, type InboundEnvelope, resolveRoute } from '../routing/index.js';
import { type Clock, deferred, errorMessage, newId } from '../shared/index.js';
import type { AccountRuntime } from './account.js';
import type { ChannelAdapter, ChannelLogger, ChannelPolicy } from './contract.js';
import { PAIRING_TTL_MS, type PairingRequest } from './pairing.js';
import { dmDecision, effectiveDmScope, GroupHistory, groupDecision, withGroupHistory } from './policy.js';
import type { EmitFn, InboundSink, ReplyTarget } from './ports.js';

/** How often the typing indicator is renewed while a turn runs (Telegram shows it for ~5 s). */
const TYPING_EVERY_MS = 4000;
const MAX_ERROR_REPLY = 300;

/** What the sender sees for a turn's result: its text, or the error (shortened, with a warning sign). */
export function replyText(result: { text: string } | { error: string }): string {
  return 'text' in result ? result.text : `⚠️ ${result.error.slice(0, MAX_ERROR_REPLY)}`;
}

export interface PipelineDeps {
  config(): Config;
  sink: InboundSink;
  emit: EmitFn;
  logger: ChannelLogger;
  clock: Clock;
  account(adapter: ChannelAdapter, accountId: string): Promise<AccountRuntime>;
}

/** A place in line for one conversation's submissions. */
interface Ticket {
  wait: Promise<void>;
  done(): void;
}

/** The text an unknown sender gets with their pairing code. */
export function pairingReplyText(channel: string, request: PairingRequest): string {
  const minutes = Math.round(PAIRING_TTL_MS / 60_000);
  return [
    "Hi! I don't know you yet, so I can't answer your messages.",
    `Your pairing code: ${request.code} (expires in ${minutes} minutes).`,
    `The owner can approve it with: carapace pairing approve ${channel} ${request.code}`,
  ].join('\n');
}

/**
 * The inbound pipeline, with one error boundary: validate → dedupe (platform message ids) → DM policy
 * (pairing) → group policy (allowlist, mention gating, history) → route → sink (typing indicator while
 * the turn runs) → reply through the durable outbound queue. Submissions of one conversation keep their
 * arrival order.
 */
export class InboundPipeline {
  readonly #validate = createEnvelopeValidator();
  readonly #history = new GroupHistory();
  readonly #order = new Map<string, Promise<void>>();
  readonly #scopeLogged = new Set<string>();

  constructor(private readonly deps: PipelineDeps) {}

  /** Handle one message from `adapter`. Never throws. */
  async handle(adapter: ChannelAdapter, raw: InboundEnvelope): Promise<void> {
    const turn = this.#ticket(
      `${adapter.channel}\u0000${raw.accountId}\u0000${raw.peer?.kind}:${raw.peer?.id}`,
    );
    let rt: AccountRuntime | undefined;
    try {
      const envelope = this.#validate(raw);
      rt = await this.deps.account(adapter, envelope.accountId);
      rt.stats.received++;
      rt.stats.lastInboundAt = this.deps.clock.now();
      if (envelope.messageId !== undefined) {
        const seenKey = `${envelope.peer.kind}:${envelope.peer.id}:${envelope.messageId}`;
        if (!(await rt.dedupe.add(seenKey))) {
          rt.stats.duplicates++;
          return;
        }
      }
      const policy = adapter.policy(envelope.accountId);
      if (!policy || !(await this.#admit(adapter, rt, policy, envelope))) return;
      await this.#run(adapter, rt, policy, envelope, turn);
    } catch (err) {
      this.deps.logger.error(
        { channel: adapter.channel, accountId: raw.accountId, error: errorMessage(err) },
        'inbound message failed',
      );
    } finally {
      turn.done();
      if (rt) rt.stats.handled++;
    }
  }

  /** Apply DM or group policy. True when the message should reach the agent. */
  async #admit(
    adapter: ChannelAdapter,
    rt: AccountRuntime,
    policy: ChannelPolicy,
    envelope: InboundEnvelope,
  ): Promise<boolean> {
    const where = { channel: adapter.channel, accountId: envelope.accountId, senderId: envelope.sender.id };
    if (envelope.peer.kind === 'dm') {
      const decision = dmDecision(policy, envelope.sender.id, rt.pairing.isApproved(envelope.sender.id));
      if (decision === 'allow') return true;
      rt.stats.dropped++;
      if (decision === 'pair') await this.#pair(adapter, rt, envelope);
      else this.deps.logger.debug({ ...where, dmPolicy: policy.dmPolicy }, 'DM dropped by policy');
      return false;
    }
    const decision = groupDecision(policy, envelope, adapter.selfIds(envelope.accountId));
    if (decision.kind === 'allow') return true;
    rt.stats.dropped++;
    if (decision.kind === 'history') {
      const entry = { senderId: envelope.sender.id, text: envelope.text };
      const named = envelope.sender.name ? { ...entry, senderName: envelope.sender.name } : entry;
      this.#history.record(this.#historyKey(adapter, envelope), named, policy.historyLimit);
    } else
      this.deps.logger.debug(
        { ...where, groupId: envelope.peer.id, reason: decision.reason },
        'group message dropped',
      );
    return false;
  }

  async #pair(adapter: ChannelAdapter, rt: AccountRuntime, envelope: InboundEnvelope): Promise<void> {
    const decision = await rt.pairing.request(
      { id: envelope.sender.id, name: envelope.sender.name },
      envelope.peer.id,
    );
    const where = { channel: adapter.channel, accountId: envelope.accountId, senderId: envelope.sender.id };
    if (decision.kind === 'quiet') {
      this.deps.logger.debug({ ...where, reason: decision.reason }, 'unknown DM sender; no pairing reply');
      return;
    }
    const { request } = decision;
    rt.stats.pairingReplies++;
    this.deps.logger.info({ ...where, expiresAt: request.expiresAt }, 'pairing code issued');
    this.deps.emit('pairing.requested', {
      channel: adapter.channel,
      accountId: envelope.accountId,
      code: request.code,
      senderId: request.senderId,
      ...(request.senderName ? { senderName: request.senderName } : {}),
      createdAt: request.createdAt,
      expiresAt: request.expiresAt,
    });
    await rt.delivery.deliver(
      `pairing:${request.code}`,
      envelope.peer.id,
      pairingReplyText(adapter.channel, request),
    );
  }

  async #run(
    adapter: ChannelAdapter,
    rt: AccountRuntime,
    policy: ChannelPolicy,
    envelope: InboundEnvelope,
    turn: Ticket,
  ): Promise<void> {
    const config = this.deps.config();
    const dmScope = this.#dmScope(adapter, rt, policy, envelope, config.session.dmScope);
    const route = resolveRoute({ ...config, session: { ...config.session, dmScope } }, envelope);
    const key =
      envelope.idempotencyKey ??
      `${adapter.channel}:${envelope.accountId}:${envelope.peer.kind}:${envelope.peer.id}:${envelope.messageId ?? newId()}`;
    const isGroup = envelope.peer.kind !== 'dm';
    const text = isGroup
      ? withGroupHistory(
          envelope.text,
          this.#history.take(this.#historyKey(adapter, envelope), policy.historyLimit),
        )
      : envelope.text;
    const stopTyping = this.#typing(adapter, envelope);
    if (policy.ackReaction && adapter.react && envelope.messageId !== undefined) {
      adapter
        .react(envelope.accountId, envelope.peer.id, envelope.messageId, policy.ackReaction)
        .catch(() => {});
    }
    const replyTo = isGroup && adapter.capabilities.replyThreading ? envelope.messageId : undefined;
    const target: ReplyTarget = {
      channel: adapter.channel,
      accountId: envelope.accountId,
      to: envelope.peer.id,
      key: `reply:${key}`,
      ...(replyTo !== undefined ? { replyTo } : {}),
      ...(envelope.threadId !== undefined ? { threadId: envelope.threadId } : {}),
    };
    let result: { text: string } | { error: string };
    try {
      await turn.wait;
      const pending = this.deps.sink.submit(
        { ...envelope, text },
        { agentId: route.agentId, sessionKey: route.sessionKey },
        key,
        target,
      );
      rt.stats.submitted++;
      turn.done();
      result = await pending;
    } finally {
      stopTyping();
    }
    const reply = replyText(result);
    if (!reply.trim()) return;
    await rt.delivery.deliver(target.key, envelope.peer.id, reply, {
      replyTo,
      threadId: envelope.threadId,
    });
  }

  #dmScope(
    adapter: ChannelAdapter,
    rt: AccountRuntime,
    policy: ChannelPolicy,
    envelope: InboundEnvelope,
    configured: DmScope,
  ): DmScope {
    if (envelope.peer.kind !== 'dm') return configured;
    const scope = effectiveDmScope(
      configured,
      policy,
      rt.pairing.approved().map((a) => a.id),
    );
    const logKey = `${adapter.channel}/${envelope.accountId}`;
    if (scope !== configured && !this.#scopeLogged.has(logKey)) {
      this.#scopeLogged.add(logKey);
      this.deps.logger.info(
        { channel: adapter.channel, accountId: envelope.accountId, dmScope: scope, configured },
        'more than one DM sender is allowed: each sender gets their own session (dmScope per-channel-peer)',
      );
    }
    return scope;
  }

  #typing(adapter: ChannelAdapter, envelope: InboundEnvelope): () => void {
    const typing = adapter.typing?.bind(adapter);
    if (!typing || !adapter.capabilities.typing) return () => {};
    const ping = () => {
      typing(envelope.accountId, envelope.peer.id).catch(() => {});
    };
    ping();
    const timer = setInterval(ping, TYPING_EVERY_MS);
    timer.unref();
    return () => clearInterval(timer);
  }

  #historyKey(adapter: ChannelAdapter, envelope: InboundEnvelope): string {
    return `${adapter.channel}\u0000${envelope.accountId}\u0000${envelope.peer.id}`;
  }

  /**
   * A place in line for one conversation: `wait` resolves when every earlier message of the conversation
   * was handed to the sink (or dropped); `done` lets the next one go.
   */
  #ticket(key: string): Ticket {
    const previous = this.#order.get(key) ?? Promise.resolve();
    const mine = deferred<void>();
    this.#order.set(key, mine.promise);
    return {
      wait: previous,
      done: () => {
        mine.resolve();
        if (this.#order.get(key) === mine.promise) this.#order.delete(key);
      },
    };
  }
}
