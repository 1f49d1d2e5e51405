/**
 * models: provider adapters over the AI SDK (OpenAI Chat Completions and Responses, Anthropic Messages,
 * OpenAI-compatible servers), model refs, the ModelStream port with retries, key failover and fallbacks,
 * usage and cost. Tools are never executed here. See README.md.
 */

export type { AuthProfile, AuthProfilesFile, CooldownReason, ProviderKeys } from './auth-profiles.js';
export { AUTH_PROFILES_FILE, AuthProfilesFileSchema, loadProviderKeys } from './auth-profiles.js';
export { addCost, addUsage, costOf, emptyCost, emptyUsage, roundUsd } from './cost.js';
export { backoffDelay, classifyError, parseRetryAfter } from './errors.js';
export type { HttpFetch, HttpFetchOptions } from './http-fetch.js';
export { createHttpFetch } from './http-fetch.js';
export type { FetchPort } from './language-model.js';
export { INTERRUPTED_TOOL_RESULT } from './prompt.js';
export type { ResolvedModel } from './resolve.js';
export { agentModelChain, listModelRefs, parseModelRef, resolveModel } from './resolve.js';
export type { ModelRuntime, ModelRuntimeOptions } from './runtime.js';
export { createModelRuntime } from './runtime.js';
export { SCRUBBED, scrubSecrets } from './scrub.js';
export type {
  Cost,
  FinishReason,
  ModelAssistantMessage,
  ModelError,
  ModelErrorKind,
  ModelEvent,
  ModelMessage,
  ModelStream,
  ModelStreamRequest,
  ModelToolResultMessage,
  ModelUserMessage,
  TextPart,
  ToolCallPart,
  ToolSpec,
  Usage,
} from './types.js';
export {
  CostSchema,
  ModelAssistantMessageSchema,
  ModelToolResultMessageSchema,
  ModelUserMessageSchema,
  TextPartSchema,
  ToolCallPartSchema,
  UsageSchema,
} from './types.js';
