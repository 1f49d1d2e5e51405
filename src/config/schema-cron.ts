import Type, { type Static } from 'typebox';
import { SecretRefSchema } from './schema-secret.js';

const closed = { additionalProperties: false } as const;

/** A duration such as `30m`, `2h`, `1d`, `45s` or `500ms`; `0m` turns a heartbeat off. */
const durationOptions = {
  pattern: '^[0-9]+(ms|s|m|h|d)$',
  description: "A duration: a whole number and a unit (ms, s, m, h, d), e.g. '30m'. '0m' turns it off.",
} as const;
const DurationText = Type.String(durationOptions);

/** `cron`: the job scheduler (jobs live in <stateDir>/cron/jobs.json, not here). */
export const CronSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Run scheduled jobs. Off: jobs stay stored.' }),
    maxConcurrentRuns: Type.Integer({
      minimum: 1,
      maximum: 64,
      default: 1,
      description: 'Jobs that may run at the same time; due jobs beyond this wait their turn.',
    }),
    runLogMaxEntries: Type.Integer({
      minimum: 10,
      maximum: 100_000,
      default: 500,
      description: 'Lines kept per job in cron/runs/<jobId>.jsonl (older lines are dropped).',
    }),
  },
  { ...closed, default: {} },
);
export type CronConfig = Static<typeof CronSchema>;

/** Hours of the day when periodic heartbeats may run (a wake or a cron event still runs outside). */
export const ActiveHoursSchema = Type.Object(
  {
    start: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: "'HH:MM', e.g. '08:00'." }),
    end: Type.String({
      pattern: '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$',
      description: "'HH:MM', e.g. '22:00'; before start means overnight.",
    }),
    timezone: Type.Optional(Type.String({ minLength: 1, description: 'IANA zone; default: the host’s.' })),
  },
  closed,
);
export type ActiveHours = Static<typeof ActiveHoursSchema>;

/**
 * Where a heartbeat reply that needs attention goes: `last` (the channel and peer the agent last talked
 * with; nothing when it never did), `none` (only the main session's transcript), or a fixed recipient.
 */
export const HeartbeatTargetSchema = Type.Union(
  [
    Type.Literal('last'),
    Type.Literal('none'),
    Type.Object(
      {
        channel: Type.String({ minLength: 1, maxLength: 64, description: "A channel, e.g. 'telegram'." }),
        to: Type.String({ minLength: 1, maxLength: 256, description: 'The chat or peer id on it.' }),
        accountId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
      },
      closed,
    ),
  ],
  { description: "'last' (default), 'none', or {channel, to, accountId?}." },
);
export type HeartbeatTarget = Static<typeof HeartbeatTargetSchema>;

const heartbeatModel = Type.String({
  minLength: 1,
  maxLength: 256,
  description: "A cheaper model for heartbeat turns, e.g. 'openai/gpt-4o-mini' (default: the agent's).",
});
const dailyTokenBudget = Type.Integer({
  minimum: 1,
  description:
    'Tokens (input + output, cached included) heartbeats may use per agent per day; then they pause until midnight.',
});

/** One agent's heartbeat settings; absent fields fall back to the top-level `heartbeat` ones. */
export const HeartbeatAgentSchema = Type.Object(
  {
    every: Type.Optional(DurationText),
    activeHours: Type.Optional(ActiveHoursSchema),
    prompt: Type.Optional(Type.String({ minLength: 1, maxLength: 10_000 })),
    model: Type.Optional(heartbeatModel),
    target: Type.Optional(HeartbeatTargetSchema),
    dailyTokenBudget: Type.Optional(dailyTokenBudget),
  },
  closed,
);
export type HeartbeatAgentConfig = Static<typeof HeartbeatAgentSchema>;

/**
 * `heartbeat`: a periodic turn in each agent's main session that follows HEARTBEAT.md and picks up queued
 * system events. While HEARTBEAT.md holds only comments and headings and nothing is queued, it is skipped.
 */
export const HeartbeatSchema = Type.Object(
  {
    every: Type.String({ ...durationOptions, default: '30m' }),
    activeHours: Type.Optional(ActiveHoursSchema),
    prompt: Type.Optional(
      Type.String({ minLength: 1, maxLength: 10_000, description: 'The heartbeat turn’s message.' }),
    ),
    model: Type.Optional(heartbeatModel),
    target: Type.Optional(HeartbeatTargetSchema),
    dailyTokenBudget: Type.Optional(dailyTokenBudget),
    agents: Type.Unsafe<Record<string, HeartbeatAgentConfig>>(
      Type.Object(
        {},
        {
          additionalProperties: HeartbeatAgentSchema,
          default: {},
          description: 'Per-agent overrides by agent id.',
        },
      ),
    ),
  },
  { ...closed, default: {} },
);
export type HeartbeatConfig = Static<typeof HeartbeatSchema>;

/**
 * `hooks`: `POST /hooks/wake` and `POST /hooks/agent` on the gateway port. Off until enabled; they need
 * their own token (never the gateway's), sent as `Authorization: Bearer …` or `x-carapace-hook-token`.
 */
export const HooksSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: false, description: 'Serve /hooks/wake and /hooks/agent.' }),
    token: Type.Optional(SecretRefSchema),
    maxBodyBytes: Type.Integer({
      minimum: 1024,
      maximum: 5 * 1024 * 1024,
      default: 256 * 1024,
      description: 'Larger request bodies are refused with 413.',
    }),
  },
  { ...closed, default: {} },
);
export type HooksConfig = Static<typeof HooksSchema>;
