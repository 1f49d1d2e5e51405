import Type, { type TSchema } from 'typebox';
import {
  AgentFinalSchema,
  AgentIdentityParamsSchema,
  AgentIdentityResultSchema,
  AgentParamsSchema,
  AgentsListParamsSchema,
  AgentsListResultSchema,
  AgentWaitParamsSchema,
  AgentWaitResultSchema,
  ChatAbortParamsSchema,
  ChatAbortResultSchema,
  ChatSendParamsSchema,
  ChatSendResultSchema,
  ModelsListParamsSchema,
  ModelsListResultSchema,
} from './methods-agent.js';
import {
  ExecApprovalResolveParamsSchema,
  ExecApprovalResolveResultSchema,
  ExecApprovalsGetParamsSchema,
  ExecApprovalsGetResultSchema,
  ExecApprovalsListParamsSchema,
  ExecApprovalsListResultSchema,
  ExecApprovalsSetParamsSchema,
} from './methods-approvals.js';
import {
  ChannelsLogoutParamsSchema,
  ChannelsLogoutResultSchema,
  ChannelsStatusParamsSchema,
  ChannelsStatusResultSchema,
  PairingApproveParamsSchema,
  PairingApproveResultSchema,
  PairingListParamsSchema,
  PairingListResultSchema,
  SendParamsSchema,
  SendResultSchema,
} from './methods-channels.js';
import {
  ConfigGetParamsSchema,
  ConfigGetResultSchema,
  ConfigPatchParamsSchema,
  ConfigSetParamsSchema,
  ConfigWriteResultSchema,
  HealthParamsSchema,
  HealthResultSchema,
  LogsTailParamsSchema,
  LogsTailResultSchema,
  StatusParamsSchema,
  StatusResultSchema,
  SystemPresenceParamsSchema,
  SystemPresenceResultSchema,
} from './methods-core.js';
import {
  CronAddParamsSchema,
  CronJobSchema,
  CronListParamsSchema,
  CronListResultSchema,
  CronRemoveParamsSchema,
  CronRemoveResultSchema,
  CronRunParamsSchema,
  CronRunResultSchema,
  CronRunsParamsSchema,
  CronRunsResultSchema,
  CronStatusParamsSchema,
  CronStatusResultSchema,
  CronUpdateParamsSchema,
  WakeParamsSchema,
  WakeResultSchema,
} from './methods-cron.js';
import {
  ChatHistoryParamsSchema,
  ChatHistoryResultSchema,
  ChatInjectParamsSchema,
  ChatInjectResultSchema,
  SessionsAbortParamsSchema,
  SessionsAbortResultSchema,
  SessionsCompactParamsSchema,
  SessionsCompactResultSchema,
  SessionsDeleteParamsSchema,
  SessionsDeleteResultSchema,
  SessionsListParamsSchema,
  SessionsListResultSchema,
  SessionsPreviewParamsSchema,
  SessionsPreviewResultSchema,
  SessionsResetParamsSchema,
  SessionsResetResultSchema,
} from './methods-sessions.js';
import type { Scope } from './scopes.js';

/** What the protocol says about a method: the scope it needs and the shapes of its params and result. */
export interface MethodSpec {
  scope: Scope;
  params: TSchema;
  result: TSchema;
}

/**
 * Every method this gateway implements. `features.methods` in hello-ok is exactly these keys.
 * Later subsystems add their methods here, each with its schemas beside it.
 */
export const METHOD_SPECS = {
  health: { scope: 'operator.read', params: HealthParamsSchema, result: HealthResultSchema },
  status: { scope: 'operator.read', params: StatusParamsSchema, result: StatusResultSchema },
  'system-presence': {
    scope: 'operator.read',
    params: SystemPresenceParamsSchema,
    result: SystemPresenceResultSchema,
  },
  'config.get': { scope: 'operator.read', params: ConfigGetParamsSchema, result: ConfigGetResultSchema },
  'config.set': { scope: 'operator.admin', params: ConfigSetParamsSchema, result: ConfigWriteResultSchema },
  'config.patch': {
    scope: 'operator.admin',
    params: ConfigPatchParamsSchema,
    result: ConfigWriteResultSchema,
  },
  'logs.tail': { scope: 'operator.read', params: LogsTailParamsSchema, result: LogsTailResultSchema },
  'sessions.list': {
    scope: 'operator.read',
    params: SessionsListParamsSchema,
    result: SessionsListResultSchema,
  },
  'sessions.preview': {
    scope: 'operator.read',
    params: SessionsPreviewParamsSchema,
    result: SessionsPreviewResultSchema,
  },
  'sessions.reset': {
    scope: 'operator.admin',
    params: SessionsResetParamsSchema,
    result: SessionsResetResultSchema,
  },
  'sessions.delete': {
    scope: 'operator.admin',
    params: SessionsDeleteParamsSchema,
    result: SessionsDeleteResultSchema,
  },
  'sessions.abort': {
    scope: 'operator.write',
    params: SessionsAbortParamsSchema,
    result: SessionsAbortResultSchema,
  },
  'sessions.compact': {
    scope: 'operator.admin',
    params: SessionsCompactParamsSchema,
    result: SessionsCompactResultSchema,
  },
  'chat.history': {
    scope: 'operator.read',
    params: ChatHistoryParamsSchema,
    result: ChatHistoryResultSchema,
  },
  'chat.inject': { scope: 'operator.admin', params: ChatInjectParamsSchema, result: ChatInjectResultSchema },
  agent: { scope: 'operator.write', params: AgentParamsSchema, result: AgentFinalSchema },
  'agent.wait': { scope: 'operator.write', params: AgentWaitParamsSchema, result: AgentWaitResultSchema },
  'chat.send': { scope: 'operator.write', params: ChatSendParamsSchema, result: ChatSendResultSchema },
  'chat.abort': { scope: 'operator.write', params: ChatAbortParamsSchema, result: ChatAbortResultSchema },
  'agents.list': { scope: 'operator.read', params: AgentsListParamsSchema, result: AgentsListResultSchema },
  'agent.identity.get': {
    scope: 'operator.read',
    params: AgentIdentityParamsSchema,
    result: AgentIdentityResultSchema,
  },
  'exec.approval.resolve': {
    scope: 'operator.approvals',
    params: ExecApprovalResolveParamsSchema,
    result: ExecApprovalResolveResultSchema,
  },
  'exec.approvals.list': {
    scope: 'operator.approvals',
    params: ExecApprovalsListParamsSchema,
    result: ExecApprovalsListResultSchema,
  },
  'exec.approvals.get': {
    scope: 'operator.admin',
    params: ExecApprovalsGetParamsSchema,
    result: ExecApprovalsGetResultSchema,
  },
  'exec.approvals.set': {
    scope: 'operator.admin',
    params: ExecApprovalsSetParamsSchema,
    result: ExecApprovalsGetResultSchema,
  },
  'models.list': { scope: 'operator.read', params: ModelsListParamsSchema, result: ModelsListResultSchema },
  'channels.status': {
    scope: 'operator.read',
    params: ChannelsStatusParamsSchema,
    result: ChannelsStatusResultSchema,
  },
  'channels.logout': {
    scope: 'operator.admin',
    params: ChannelsLogoutParamsSchema,
    result: ChannelsLogoutResultSchema,
  },
  'pairing.list': {
    scope: 'operator.pairing',
    params: PairingListParamsSchema,
    result: PairingListResultSchema,
  },
  'pairing.approve': {
    scope: 'operator.pairing',
    params: PairingApproveParamsSchema,
    result: PairingApproveResultSchema,
  },
  send: { scope: 'operator.write', params: SendParamsSchema, result: SendResultSchema },
  'cron.status': { scope: 'operator.read', params: CronStatusParamsSchema, result: CronStatusResultSchema },
  'cron.list': { scope: 'operator.read', params: CronListParamsSchema, result: CronListResultSchema },
  'cron.runs': { scope: 'operator.read', params: CronRunsParamsSchema, result: CronRunsResultSchema },
  'cron.add': { scope: 'operator.admin', params: CronAddParamsSchema, result: CronJobSchema },
  'cron.update': { scope: 'operator.admin', params: CronUpdateParamsSchema, result: CronJobSchema },
  'cron.remove': { scope: 'operator.admin', params: CronRemoveParamsSchema, result: CronRemoveResultSchema },
  'cron.run': { scope: 'operator.admin', params: CronRunParamsSchema, result: CronRunResultSchema },
  wake: { scope: 'operator.write', params: WakeParamsSchema, result: WakeResultSchema },
} as const satisfies Record<string, MethodSpec>;

export type MethodName = keyof typeof METHOD_SPECS;

/** Events the gateway may emit (hello-ok `features.events`). */
export const GATEWAY_EVENTS = [
  'connect.challenge',
  'tick',
  'health',
  'presence',
  'shutdown',
  'agent',
  'chat',
  'sessions.changed',
  'cron',
  'heartbeat',
  'exec.approval.requested',
  'exec.approval.resolved',
  'pairing.requested',
  'channels.delivery.failed',
] as const;
export type GatewayEventName = (typeof GATEWAY_EVENTS)[number];

/** Payload of `tick`. */
export const TickPayloadSchema = Type.Object({ ts: Type.Number() });
/** Payload of `shutdown`. */
export const ShutdownPayloadSchema = Type.Object({
  reason: Type.String(),
  restartExpectedMs: Type.Optional(Type.Number()),
});
