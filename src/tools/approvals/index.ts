/**
 * tools/approvals: exec approvals. A shell-command parser that reduces a command string to simple
 * commands with static argv (flagging everything dynamic), PATH resolution with binary fingerprints,
 * wrapper unwrapping, the allowlist matcher, the exec policy decision, the persisted approvals store and
 * the approval broker port with an in-memory implementation. See README.md.
 */

export type { AllowlistRule, MatchResult, ResolvedForMatch } from './allowlist.js';
export { configRules, matchRules, parseRulePattern } from './allowlist.js';
export type {
  AnalyzeInput,
  ExecAnalysis,
  Miss,
  MissCode,
  PlannedCommand,
  PlannedEntry,
  PlannedRedirect,
  RefusalCode,
} from './analyze.js';
export { analyzeCommand } from './analyze.js';
export { approvalStillHolds } from './binding.js';
export type {
  ApprovalBroker,
  ApprovalDecision,
  ApprovalEvent,
  ApprovalRequest,
  PendingApproval,
} from './broker.js';
export { InMemoryApprovalBroker } from './broker.js';
export {
  buildChildEnv,
  DEFAULT_INHERITED_ENV,
  ENV_INJECTION_NAMES,
  ENV_INJECTION_PREFIXES,
  GIT_SAFETY_CONFIG,
  isEnvInjectionName,
  isInside,
  sanitizePathDirs,
} from './env-policy.js';
export type {
  ExecAsk,
  ExecDecision,
  ExecPolicy,
  ExecPolicyContext,
  ExecRefusalCode,
  ExecSecurity,
} from './policy.js';
export { decideExec, describeMisses, effectiveExecPolicy } from './policy.js';
export type { BinaryFingerprint, DirFingerprint } from './resolve.js';
export { fingerprintDir, fingerprintFile, resolveProgram, sameBinary, sameDir } from './resolve.js';
export { DENIED_OPTIONS, deniedOption, interpreterInlineReason, isInterpreter } from './safe-options.js';
export { MAX_COMMAND_LENGTH, parseShell } from './shell-parse.js';
export type {
  ListConnector,
  ListEntry,
  ParsedShell,
  Redirect,
  RedirectOp,
  ShellFlag,
  ShellFlagCode,
  SimpleCommand,
} from './shell-types.js';
export type {
  ExecApprovalEntry,
  ExecApprovalsFile,
  ExecApprovalsSnapshot,
  ExecApprovalsStore,
  ExecApprovalsStoreOptions,
} from './store.js';
export {
  BinaryFingerprintSchema,
  createExecApprovalsStore,
  EXEC_APPROVALS_VERSION,
  ExecApprovalEntrySchema,
  ExecApprovalsFileSchema,
  validateExecApprovalsFile,
} from './store.js';
export type { UnwrapResult } from './wrappers.js';
export { REFUSED_WRAPPERS, unwrapCommand } from './wrappers.js';
