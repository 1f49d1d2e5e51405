/**
 * channels: messaging platforms. The adapter contract, the inbound pipeline (dedupe, DM pairing, group
 * policy, routing, the sink port), durable outbound delivery (chunking, retry, receipts), Telegram over
 * grammY, WhatsApp over Baileys and an in-memory adapter. `ChannelManager` is the one entry point the
 * gateway wires. See README.md.
 */
export type { AccountStats } from './account.js';
export { chunkText } from './chunk.js';
export type {
  AccountStatus,
  AdapterHost,
  ChannelAdapter,
  ChannelCapabilities,
  ChannelLogger,
  ChannelPolicy,
  OutboundMessage,
  SendOutcome,
  SentMessage,
} from './contract.js';
export { channelSendError, sendOutcomeOf } from './contract.js';
export type { RetryPolicy } from './delivery.js';
export { DEFAULT_RETRY } from './delivery.js';
export type { DiscordAdapterOptions } from './discord/adapter.js';
export { DiscordAdapter } from './discord/adapter.js';
export type { ChannelManagerOptions } from './manager.js';
export { ChannelManager } from './manager.js';
export type {
  AccountStatusView,
  ChannelSendRequest,
  ChannelSendResult,
  ChannelsStatus,
  DeliveryCounts,
  PairingApproveResult,
  PairingListEntry,
} from './manager-types.js';
export type { MemoryAdapterOptions, MemoryFailure, MemoryInbound, MemoryMessage } from './memory.js';
export { MemoryChannelAdapter } from './memory.js';
export {
  MAX_PENDING_PER_ACCOUNT,
  normalizePairingCode,
  PAIRING_ALPHABET,
  PAIRING_CODE_LENGTH,
  PAIRING_REPLY_WINDOW_MS,
  PAIRING_TTL_MS,
} from './pairing.js';
export { approvePairingInState, listPairingInState } from './pairing-local.js';
export type { EmitFn, InboundSink, ReplyTarget, SleepFn } from './ports.js';
export type { SlackAdapterOptions } from './slack/adapter.js';
export { SlackAdapter } from './slack/adapter.js';
export { markdownToSlackMrkdwn } from './slack/format.js';
export { markdownToTelegramHtml } from './telegram/format.js';
export type { WhatsAppAdapterOptions } from './whatsapp/adapter.js';
export { WhatsAppAdapter } from './whatsapp/adapter.js';
export { linkedAccount as whatsappLinkedAccount, whatsappAuthDir } from './whatsapp/auth.js';
export type { BackoffPolicy } from './whatsapp/backoff.js';
export { backoffDelay, DEFAULT_BACKOFF } from './whatsapp/backoff.js';
export { markdownToWhatsApp } from './whatsapp/format.js';
export type { LinkOptions, LinkResult } from './whatsapp/login.js';
export { linkWhatsApp } from './whatsapp/login.js';
export { renderQr } from './whatsapp/qr.js';
export type {
  WhatsAppContent,
  WhatsAppEvents,
  WhatsAppSocket,
  WhatsAppSocketFactory,
} from './whatsapp/socket.js';
