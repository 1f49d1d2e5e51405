/**
 * agent: the run loop as an injected event stream (messages, tools, a ModelStream, hooks and a signal in;
 * events and new messages out), the tool contract, context assembly, compaction and chat commands.
 * Knows nothing of channels, files or config. See README.md.
 */

export type { ChatCommand } from './commands.js';
export { CHAT_COMMANDS, parseChatCommand } from './commands.js';
export type { CompactionRecord, CompactSessionInput, CompactSessionResult } from './compaction.js';
export {
  applyCompaction,
  CompactionRecordSchema,
  checkCompaction,
  compactionSummaryMessage,
  compactSession,
  memoryFlushPrompt,
  planCompaction,
  SILENT_REPLY,
  serializeForSummary,
  summarizeMessages,
} from './compaction.js';
export type { ContextFileName, ContextFileReport, ContextInput, ContextReport } from './context.js';
export {
  assembleContext,
  CONTEXT_FILES,
  DEFAULT_FILE_MAX_CHARS,
  DEFAULT_TOTAL_MAX_CHARS,
  formatDateTime,
} from './context.js';
export type { AgentEvent, AgentRun, AgentRunResult, RunErrorKind, StopReason } from './events.js';
export type { AgentRunInput } from './loop.js';
export { DEFAULT_MAX_TOOL_ROUNDS, runAgent } from './loop.js';
export type {
  AgentAssistantMessage,
  AgentMessage,
  AgentToolResultMessage,
  AgentUserMessage,
  MessageStopReason,
} from './messages.js';
export {
  AgentAssistantMessageSchema,
  AgentMessageSchema,
  AgentToolResultMessageSchema,
  AgentUserMessageSchema,
  MessageStopReasonSchema,
  messageText,
  userMessage,
} from './messages.js';
export { parseToolArgs } from './model-call.js';
export type { SanitizeOptions } from './sanitize.js';
export { DEFAULT_TOOL_RESULT_MAX_CHARS, sanitizeToolText } from './sanitize.js';
export { estimateContextTokens, estimateMessageTokens, estimateTextTokens } from './tokens.js';
export type { AgentTool, ToolContext, ToolOutput } from './tool.js';
export { defineTool, toolSpecs } from './tool.js';
export type { AfterToolCall, BeforeToolCall, BeforeToolCallResult, ToolCallInfo } from './tool-exec.js';
