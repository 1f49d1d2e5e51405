/**
 * sessions: per-agent session index and JSONL transcripts (append, fsync, crash repair, paged history),
 * reset policy, per-session lanes with queue modes, and the durable inbox.
 */
export type { HistoryOptions, HistoryPage } from './history.js';
export { readHistory } from './history.js';
export type { AcceptResult, InboxOptions, InboxRecord } from './inbox.js';
export { INBOX_VERSION, Inbox } from './inbox.js';
export type { LaneStore } from './lane-store.js';
export { createMemoryLaneStore } from './lane-store.js';
export type {
  DropReason,
  LaneJob,
  LaneManagerOptions,
  LaneOutcome,
  LaneRunFn,
  LaneSettingsPatch,
  LaneStats,
  LaneTicket,
  OutcomeEvent,
  QueueSettings,
  SubmitOptions,
} from './lane-types.js';
export { LaneManager } from './lanes.js';
export type { ResetCommand, ResetPolicy, ResetReason } from './reset.js';
export { DEFAULT_IDLE_MINUTES, detectResetCommand, lastDailyBoundary, shouldReset } from './reset.js';
export type {
  CompactionEntry,
  ContentPart,
  MessageEntry,
  MessageFields,
  ResetEntry,
  Role,
  SessionEntry,
  SessionOrigin,
  ToolCall,
  TranscriptEntry,
  TranscriptHeader,
  Usage,
} from './schema.js';
export {
  CompactionEntrySchema,
  MessageEntrySchema,
  MessageFieldsSchema,
  ResetEntrySchema,
  SESSION_INDEX_VERSION,
  SessionEntrySchema,
  TRANSCRIPT_VERSION,
  TranscriptHeaderSchema,
} from './schema.js';
export { SessionStore } from './store.js';
export type {
  EnsureOptions,
  EnsureResult,
  SessionChange,
  SessionPatch,
  SessionStoreOptions,
} from './store-types.js';
export type { SessionStoresOptions } from './stores.js';
export { SessionStores } from './stores.js';
export type { LoadedTranscript, RepairReport } from './transcript.js';
export { INTERRUPTED_TOOL_RESULT, loadTranscript, repairTranscript } from './transcript.js';
