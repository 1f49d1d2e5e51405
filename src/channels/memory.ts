import type { InboundEnvelope } from '../routing/index.js';
import type {
  AccountStatus,
  AdapterHost,
  ChannelAdapter,
  ChannelCapabilities,
  ChannelPolicy,
  OutboundMessage,
  SendOutcome,
  SentMessage,
} from './contract.js';
import { channelSendError } from './contract.js';

/** A message the in-memory platform shows. */
export interface MemoryMessage {
  accountId: string;
  to: string;
  text: string;
  messageId: string;
  replyTo?: string;
  threadId?: string;
}

/** An inbound message as a test writes it. */
export interface MemoryInbound {
  from: string;
  text: string;
  name?: string;
  /** A group id: the message is posted in that group (default: a DM). */
  group?: string;
  mentionsBot?: boolean;
  /** Reuse a platform message id (a redelivery); default: a fresh one. */
  messageId?: string;
}

/** A scripted send failure: `lost` shows the message and then loses the response. */
export type MemoryFailure = { outcome: SendOutcome | 'lost'; retryAfterMs?: number };

export interface MemoryAdapterOptions {
  channel?: string;
  /** Accounts and their policies (missing fields take the config defaults). */
  accounts: Record<string, Partial<ChannelPolicy>>;
  textLimit?: number;
  now?: () => number;
}

/**
 * An in-memory channel: a platform that lives in arrays. It passes the same contract suite as the real
 * adapters, so pipeline and delivery tests (and load tests such as SEC-10) run without a network.
 */
export class MemoryChannelAdapter implements ChannelAdapter {
  readonly channel: string;
  readonly capabilities: ChannelCapabilities;
  /** Every message the platform shows, in order. */
  readonly visible: MemoryMessage[] = [];
  readonly typings: { accountId: string; to: string }[] = [];
  readonly reactions: { accountId: string; to: string; messageId: string; emoji: string }[] = [];
  readonly #policies = new Map<string, ChannelPolicy>();
  readonly #failures: MemoryFailure[] = [];
  readonly #now: () => number;
  #host: AdapterHost | undefined;
  #nextId = 1;
  #lastInboundAt: number | undefined;
  #lastOutboundAt: number | undefined;

  constructor(options: MemoryAdapterOptions) {
    this.channel = options.channel ?? 'memory';
    this.capabilities = {
      textLimit: options.textLimit ?? 2000,
      format: 'markdown',
      typing: true,
      reactions: true,
      replyThreading: true,
    };
    this.#now = options.now ?? Date.now;
    for (const [id, p] of Object.entries(options.accounts)) this.setPolicy(id, p);
  }

  /** The bot's own id on this platform. */
  static readonly SELF_ID = 'bot-self';

  setPolicy(accountId: string, policy: Partial<ChannelPolicy>): void {
    this.#policies.set(accountId, {
      dmPolicy: policy.dmPolicy ?? 'pairing',
      allowFrom: policy.allowFrom ?? [],
      groups: policy.groups ?? {},
      mentionPatterns: policy.mentionPatterns,
      historyLimit: policy.historyLimit ?? 20,
      ackReaction: policy.ackReaction,
    });
  }

  accountIds(): string[] {
    return [...this.#policies.keys()];
  }
  policy(accountId: string): ChannelPolicy | undefined {
    return this.#policies.get(accountId);
  }
  selfIds(): readonly string[] {
    return [MemoryChannelAdapter.SELF_ID];
  }

  async start(host: AdapterHost): Promise<void> {
    this.#host = host;
  }
  async stop(): Promise<void> {
    this.#host = undefined;
  }

  status(): AccountStatus[] {
    return this.accountIds().map((accountId) => {
      const s: AccountStatus = {
        channel: this.channel,
        accountId,
        enabled: true,
        configured: true,
        running: this.#host !== undefined,
        connected: this.#host !== undefined,
      };
      if (this.#lastInboundAt !== undefined) s.lastInboundAt = this.#lastInboundAt;
      if (this.#lastOutboundAt !== undefined) s.lastOutboundAt = this.#lastOutboundAt;
      return s;
    });
  }

  /** Make the next sends fail, in order. */
  failNext(...failures: MemoryFailure[]): void {
    this.#failures.push(...failures);
  }

  /** Deliver a message as the platform would; resolves when the pipeline has handled it. */
  async receive(accountId: string, input: MemoryInbound): Promise<void> {
    if (!this.#host) throw new Error(`${this.channel} adapter is not started`);
    this.#lastInboundAt = this.#now();
    const messageId = input.messageId ?? `m${this.#nextId++}`;
    const envelope: InboundEnvelope = {
      source: 'channel',
      channel: this.channel,
      accountId,
      peer: input.group ? { kind: 'group', id: input.group } : { kind: 'dm', id: input.from },
      sender: input.name ? { id: input.from, name: input.name } : { id: input.from },
      text: input.text,
      messageId,
      receivedAt: this.#now(),
    };
    if (input.mentionsBot) envelope.mentions = [MemoryChannelAdapter.SELF_ID];
    await this.#host.inbound(envelope);
  }

  async send(accountId: string, message: OutboundMessage): Promise<SentMessage> {
    if (message.text.length > this.capabilities.textLimit) {
      throw channelSendError(
        'fatal',
        `message is too long (${message.text.length} > ${this.capabilities.textLimit})`,
      );
    }
    const failure = this.#failures.shift();
    if (failure && failure.outcome !== 'lost') {
      throw channelSendError(
        failure.outcome,
        `scripted ${failure.outcome} failure`,
        failure.retryAfterMs === undefined ? {} : { retryAfterMs: failure.retryAfterMs },
      );
    }
    const shown: MemoryMessage = {
      accountId,
      to: message.to,
      text: message.text,
      messageId: `out${this.#nextId++}`,
    };
    if (message.replyTo !== undefined) shown.replyTo = message.replyTo;
    if (message.threadId !== undefined) shown.threadId = message.threadId;
    this.visible.push(shown);
    this.#lastOutboundAt = this.#now();
    if (failure) throw channelSendError('unknown', 'scripted lost response');
    return { messageId: shown.messageId };
  }

  async typing(accountId: string, to: string): Promise<void> {
    this.typings.push({ accountId, to });
  }

  async react(accountId: string, to: string, messageId: string, emoji: string): Promise<void> {
    this.reactions.push({ accountId, to, messageId, emoji });
  }
}
