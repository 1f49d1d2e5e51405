import Type, { type Static } from 'typebox';

const closed = { additionalProperties: false } as const;
const AgentId = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' });
const JobId = Type.String({ minLength: 1, maxLength: 128 });

/** When a job runs: once at an ISO time, every N ms (aligned to an anchor), or on a cron expression. */
export const CronScheduleSchema = Type.Union([
  Type.Object(
    {
      kind: Type.Literal('at'),
      at: Type.String({ minLength: 1, maxLength: 64, description: 'ISO 8601 time, e.g. 2026-12-01T09:00Z.' }),
    },
    closed,
  ),
  Type.Object(
    {
      kind: Type.Literal('every'),
      everyMs: Type.Integer({ minimum: 100, description: 'Interval in milliseconds.' }),
      anchorMs: Type.Optional(
        Type.Number({ description: 'Slots fall on anchorMs + k·everyMs (default: creation time).' }),
      ),
    },
    closed,
  ),
  Type.Object(
    {
      kind: Type.Literal('cron'),
      expr: Type.String({ minLength: 1, maxLength: 256, description: '5 or 6 fields (with seconds).' }),
      tz: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone.' })),
    },
    closed,
  ),
]);
export type CronSchedule = Static<typeof CronScheduleSchema>;

/** What a job does: inject text into the main session, or run an isolated agent turn. */
export const CronPayloadSchema = Type.Union([
  Type.Object(
    { kind: Type.Literal('systemEvent'), text: Type.String({ minLength: 1, maxLength: 100_000 }) },
    closed,
  ),
  Type.Object(
    {
      kind: Type.Literal('agentTurn'),
      message: Type.String({ minLength: 1, maxLength: 100_000 }),
      model: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
      timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    },
    closed,
  ),
]);
export type CronPayload = Static<typeof CronPayloadSchema>;

/** Where an isolated job announces its result (a channel and a recipient on it). */
export const CronDeliverySchema = Type.Object(
  {
    channel: Type.String({ minLength: 1, maxLength: 64 }),
    to: Type.String({ minLength: 1, maxLength: 256 }),
    accountId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    bestEffort: Type.Optional(
      Type.Boolean({ description: 'A failed delivery does not fail the run (it is still recorded).' }),
    ),
  },
  closed,
);
export type CronDelivery = Static<typeof CronDeliverySchema>;

export const CronSessionTargetSchema = Type.Union([Type.Literal('main'), Type.Literal('isolated')]);
export const CronWakeModeSchema = Type.Union([Type.Literal('now'), Type.Literal('next-heartbeat')]);

/** How a run ended. `interrupted`: the gateway stopped or crashed during it (never repeated). */
export const CronRunStatusSchema = Type.Union([
  Type.Literal('ok'),
  Type.Literal('error'),
  Type.Literal('timeout'),
  Type.Literal('interrupted'),
]);
export type CronRunStatus = Static<typeof CronRunStatusSchema>;

export const CronJobStateSchema = Type.Object({
  nextRunAtMs: Type.Optional(Type.Number()),
  lastRunAtMs: Type.Optional(Type.Number()),
  lastRunStatus: Type.Optional(CronRunStatusSchema),
  lastError: Type.Optional(Type.String()),
  consecutiveErrors: Type.Integer({ minimum: 0 }),
});
export type CronJobState = Static<typeof CronJobStateSchema>;

/** A scheduled job as stored and as `cron.list` shows it. */
export const CronJobSchema = Type.Object({
  id: JobId,
  agentId: Type.Optional(AgentId),
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  enabled: Type.Boolean(),
  createdAtMs: Type.Number(),
  updatedAtMs: Type.Number(),
  schedule: CronScheduleSchema,
  sessionTarget: CronSessionTargetSchema,
  wakeMode: CronWakeModeSchema,
  payload: CronPayloadSchema,
  delivery: Type.Optional(CronDeliverySchema),
  deleteAfterRun: Type.Optional(Type.Boolean()),
  state: CronJobStateSchema,
});
export type CronJob = Static<typeof CronJobSchema>;

const jobFields = {
  agentId: Type.Optional(AgentId),
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  enabled: Type.Optional(Type.Boolean()),
  schedule: CronScheduleSchema,
  sessionTarget: Type.Optional(CronSessionTargetSchema),
  wakeMode: Type.Optional(CronWakeModeSchema),
  payload: CronPayloadSchema,
  delivery: Type.Optional(CronDeliverySchema),
  deleteAfterRun: Type.Optional(Type.Boolean()),
};

/** `cron.add` (admin): a new job. sessionTarget defaults from the payload (systemEvent → main). */
export const CronAddParamsSchema = Type.Object(jobFields, closed);
export type CronJobInput = Static<typeof CronAddParamsSchema>;

/** The fields `cron.update` may change; absent fields stay as they are. */
export const CronJobPatchSchema = Type.Object(
  {
    agentId: Type.Optional(AgentId),
    name: Type.Optional(jobFields.name),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    enabled: Type.Optional(Type.Boolean()),
    schedule: Type.Optional(CronScheduleSchema),
    sessionTarget: Type.Optional(CronSessionTargetSchema),
    wakeMode: Type.Optional(CronWakeModeSchema),
    payload: Type.Optional(CronPayloadSchema),
    delivery: Type.Optional(Type.Union([CronDeliverySchema, Type.Null()])),
    deleteAfterRun: Type.Optional(Type.Boolean()),
  },
  closed,
);
export type CronJobPatch = Static<typeof CronJobPatchSchema>;

/** Methods that name a job accept `id` (or its alias `jobId`). */
const jobRef = { id: Type.Optional(JobId), jobId: Type.Optional(JobId) };

export const CronStatusParamsSchema = Type.Object({}, closed);
export const CronStatusResultSchema = Type.Object({
  enabled: Type.Boolean(),
  jobs: Type.Integer(),
  running: Type.Array(Type.String()),
  maxConcurrentRuns: Type.Integer(),
  nextWakeAtMs: Type.Optional(Type.Number()),
});
export type CronStatus = Static<typeof CronStatusResultSchema>;

export const CronListParamsSchema = Type.Object(
  { includeDisabled: Type.Optional(Type.Boolean()), agentId: Type.Optional(AgentId) },
  closed,
);
export const CronListResultSchema = Type.Object({ jobs: Type.Array(CronJobSchema) });

/** One line of `cron.runs`: a run (started → ended) or a range of skipped slots. */
export const CronRunEntrySchema = Type.Object({
  kind: Type.Union([Type.Literal('run'), Type.Literal('skipped')]),
  jobId: Type.String(),
  scheduledAt: Type.Number(),
  runId: Type.Optional(Type.String()),
  trigger: Type.Optional(Type.Union([Type.Literal('schedule'), Type.Literal('manual')])),
  status: Type.Union([CronRunStatusSchema, Type.Literal('running'), Type.Literal('skipped')]),
  startedAt: Type.Optional(Type.Number()),
  endedAt: Type.Optional(Type.Number()),
  durationMs: Type.Optional(Type.Number()),
  error: Type.Optional(Type.String()),
  summary: Type.Optional(Type.String()),
  /** Skipped ranges: how many slots, and the last one. */
  count: Type.Optional(Type.Integer()),
  lastScheduledAt: Type.Optional(Type.Number()),
});
export type CronRunEntry = Static<typeof CronRunEntrySchema>;

export const CronRunsParamsSchema = Type.Object(
  { ...jobRef, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) },
  closed,
);
export const CronRunsResultSchema = Type.Object({
  jobId: Type.String(),
  entries: Type.Array(CronRunEntrySchema),
});

export const CronUpdateParamsSchema = Type.Object({ ...jobRef, patch: CronJobPatchSchema }, closed);
export const CronRemoveParamsSchema = Type.Object(jobRef, closed);
export const CronRemoveResultSchema = Type.Object({ ok: Type.Literal(true), removed: Type.Boolean() });

/** `cron.run` (admin): `force` (default) runs now; `due` only if the job is due. */
export const CronRunParamsSchema = Type.Object(
  { ...jobRef, mode: Type.Optional(Type.Union([Type.Literal('due'), Type.Literal('force')])) },
  closed,
);
export const CronRunResultSchema = Type.Object({
  ok: Type.Literal(true),
  ran: Type.Boolean(),
  runId: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String()),
});

/** `wake` (write): queue a system event; `now` also runs a heartbeat at once. */
export const WakeParamsSchema = Type.Object(
  {
    mode: CronWakeModeSchema,
    text: Type.String({ minLength: 1, maxLength: 100_000 }),
    sessionKey: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  },
  closed,
);
export type WakeParams = Static<typeof WakeParamsSchema>;
export const WakeResultSchema = Type.Object({ ok: Type.Literal(true) });

/** Payload of the `cron` event. */
export const CronEventSchema = Type.Object({
  jobId: Type.String(),
  action: Type.Union([
    Type.Literal('added'),
    Type.Literal('updated'),
    Type.Literal('removed'),
    Type.Literal('started'),
    Type.Literal('finished'),
  ]),
  runId: Type.Optional(Type.String()),
  scheduledAt: Type.Optional(Type.Number()),
  status: Type.Optional(CronRunStatusSchema),
  error: Type.Optional(Type.String()),
  summary: Type.Optional(Type.String()),
  durationMs: Type.Optional(Type.Number()),
  nextRunAtMs: Type.Optional(Type.Number()),
});
export type CronEvent = Static<typeof CronEventSchema>;

/** Payload of the `heartbeat` event. `ok-token`: the agent had nothing to say. */
export const HeartbeatEventSchema = Type.Object({
  ts: Type.Number(),
  agentId: Type.String(),
  sessionKey: Type.String(),
  status: Type.Union([
    Type.Literal('sent'),
    Type.Literal('ok-token'),
    Type.Literal('skipped'),
    Type.Literal('failed'),
  ]),
  reason: Type.Optional(Type.String()),
  preview: Type.Optional(Type.String()),
  durationMs: Type.Optional(Type.Number()),
});
export type HeartbeatEvent = Static<typeof HeartbeatEventSchema>;
