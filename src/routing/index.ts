/**
 * routing: which agent answers an inbound message and in which session. The normalized inbound envelope,
 * agents resolved from config, bindings (most specific wins), and session keys (the one format/parse module).
 */
export type { AgentsConfig, ResolvedAgent } from './agents.js';
export { agentIds, DEFAULT_AGENT_ID, defaultAgentId, resolveAgents } from './agents.js';
export type { EnvelopeSource, InboundEnvelope, MediaRef, Peer } from './envelope.js';
export {
  createEnvelopeValidator,
  EnvelopeSourceSchema,
  foldEnvelopes,
  InboundEnvelopeSchema,
  MAX_FOLDED_TEXT,
  MediaRefSchema,
  PeerSchema,
} from './envelope.js';
export { ACCEPTED_SHAPES } from './key-codec.js';
export type { MatchedBy, Route, RouteInput, RoutingConfig } from './route.js';
export { bindingMatches, bindingTier, deriveSessionKey, resolveRoute } from './route.js';
export type {
  ChannelKey,
  CronKey,
  DmKey,
  GroupKey,
  HookKey,
  MainKey,
  ParseKeyOptions,
  SessionKeyParts,
  SubagentKey,
} from './session-key.js';
export {
  formatSessionKey,
  isValidSessionKey,
  MAX_SESSION_KEY_LENGTH,
  normalizeSessionKey,
  parseSessionKey,
  sessionKeyAgentId,
} from './session-key.js';
