/**
 * tools: the built-in agent tools as factories over small ports (file tools behind a workspace fence,
 * web_fetch behind an SSRF guard with untrusted-content wrapping, web_search over a provider port,
 * message and session_status over gateway ports) and the tool policy (groups, profiles, allow/deny).
 * exec/process, the sandbox and exec approvals live in subfolders. See README.md.
 */

export { PATCH_FORMAT } from './apply-patch-tool.js';
// exec and process, the sandbox and exec approvals (their own folders).
export * from './approvals/index.js';
export type { BuiltinToolsDeps } from './builtin.js';
export { createBuiltinTools } from './builtin.js';
export type { ToolsConfigSource } from './config.js';
export { toolsConfig } from './config.js';
export * from './exec/index.js';
export type { FencedPath, WorkspaceFence, WriteTarget } from './fence.js';
export {
  checkPathText,
  createWorkspaceFence,
  MAX_PATH_CHARS,
  PROTECTED_DIR_NAMES,
  protectedComponent,
} from './fence.js';
export type { FsToolsDeps } from './fs-tools.js';
export { createFsTools } from './fs-tools.js';
export type { GuardedFetchOptions, GuardedResponse } from './guarded-fetch.js';
export { guardedFetch } from './guarded-fetch.js';
export type { PageText } from './html-text.js';
export { htmlToText } from './html-text.js';
export type { HttpTransport, TransportRequest, TransportResponse } from './http-transport.js';
export { createNodeTransport } from './http-transport.js';
export type { AddressClass } from './ip.js';
export { classifyAddress, parseIPv4, parseIPv6 } from './ip.js';
export type { MessageMeta, MessagePort, MessageRequest, MessageSendResult } from './message-tool.js';
export { createMessageTool } from './message-tool.js';
export type { PatchHunk, PatchOp } from './patch-parse.js';
export { parsePatch } from './patch-parse.js';
export type {
  ToolDecision,
  ToolPolicy,
  ToolPolicyExplanation,
  ToolPolicyLayer,
  ToolPolicySource,
  ToolRule,
  ToolRuleLevel,
  ToolRules,
} from './policy.js';
export {
  decideTool,
  describeToolRule,
  entryMatches,
  explainToolPolicy,
  filterTools,
  KNOWN_TOOLS,
  resolveToolPolicy,
  TOOL_GROUPS,
  TOOL_PROFILES,
} from './policy.js';
export * from './sandbox/index.js';
export type { SessionStatusPort } from './session-status-tool.js';
export { createSessionStatusTool } from './session-status-tool.js';
export type { CheckedUrl, CheckUrlOptions, ResolvedAddress, Resolver } from './ssrf.js';
export { checkUrl, classifyHostname, systemResolver } from './ssrf.js';
export type { ConsequenceContext, WrittenFile } from './taint.js';
export {
  AuthoredFiles,
  consequentialAction,
  hasUntrustedMarker,
  INSTRUCTION_FILES,
  realTarget,
  TurnTaint,
  untrustedSource,
  writeTargets,
} from './taint.js';
export type { TaintGuardDeps } from './taint-guard.js';
export { guardTools, TaintRegistry } from './taint-guard.js';
export type { WrapUntrustedOptions } from './untrusted.js';
export { SPECIAL_TOKENS, stripSpecialTokens, UNTRUSTED_OPEN, wrapUntrusted } from './untrusted.js';
export type { FetchLike, SearchProvider, SearchRequest, SearchResult } from './web-search.js';
export { createBraveSearch, createSearxngSearch, DEFAULT_BRAVE_BASE_URL } from './web-search.js';
export { WEB_SEARCH_SETUP_MESSAGE } from './web-search-tool.js';
export type { WebToolsDeps } from './web-tools.js';
export { createWebTools } from './web-tools.js';
