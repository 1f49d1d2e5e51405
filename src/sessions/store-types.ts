import type { Clock } from '../shared/index.js';
import type { ResetPolicy, ResetReason } from './reset.js';
import type { SessionEntry, SessionOrigin } from './schema.js';
import type { RepairReport } from './transcript.js';

/** A change to the index, for `sessions.changed` events. */
export interface SessionChange {
  agentId: string;
  sessionKey: string;
  kind: 'created' | 'updated' | 'reset' | 'deleted';
  sessionId: string;
}

export interface SessionStoreOptions {
  agentId: string;
  /** The agent's sessions directory (`ResolvedAgent.sessionsDir`). */
  dir: string;
  clock?: Clock;
  /** Fold the index journal into `sessions.json` after this many changes (default 2,000). */
  indexCompactLines?: number;
  onChange?: (change: SessionChange) => void;
  /** Called when a transcript needed repair on first use (torn tail, interrupted tool calls). */
  onRepair?: (info: { sessionKey: string; sessionId: string; report: RepairReport }) => void;
  /** Called when `sessions.json` was corrupt and got rebuilt from transcript headers. */
  onIndexRebuilt?: (info: { backupPath: string; reason: string }) => void;
}

export interface EnsureOptions {
  origin?: SessionOrigin;
  label?: string;
  /** Start a fresh session first when the policy says the current one has expired. */
  resetPolicy?: ResetPolicy;
}

export interface EnsureResult {
  entry: SessionEntry;
  created: boolean;
  resetReason?: ResetReason;
}

/** Fields `updateSession` may change; `null` removes one. */
export type SessionPatch = {
  [K in 'label' | 'lastChannel' | 'lastAccountId' | 'lastTo' | 'model']?: string | null;
} & { origin?: SessionOrigin };
