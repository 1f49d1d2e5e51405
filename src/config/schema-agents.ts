import Type, { type Static } from 'typebox';

const closed = { additionalProperties: false } as const;
const agentOrAny = Type.String({
  pattern: '^(\\*|[a-z0-9][a-z0-9_-]{0,63})$',
  description: "An agent id, or '*' for any agent.",
});

/** One direction an agent may reach another: list, read, message and spawn into `to`'s sessions. */
export const AgentPairSchema = Type.Object({ from: agentOrAny, to: agentOrAny }, closed);
export type AgentPair = Static<typeof AgentPairSchema>;

/** Limits on sub-agents started with `sessions_spawn`. */
export const SubagentsSchema = Type.Object(
  {
    maxSpawnDepth: Type.Integer({
      minimum: 0,
      maximum: 5,
      default: 1,
      description:
        'How deep spawning may nest: 1 lets ordinary sessions spawn but not sub-agents, 2 lets a sub-agent spawn once more, 0 turns spawning off.',
    }),
    maxChildrenPerSession: Type.Integer({
      minimum: 1,
      maximum: 100,
      default: 5,
      description: 'Sub-agents one session may have running at once.',
    }),
    maxConcurrent: Type.Integer({
      minimum: 1,
      maximum: 100,
      default: 8,
      description: 'Sub-agents running at once across the gateway.',
    }),
    timeoutSeconds: Type.Integer({
      minimum: 1,
      maximum: 86_400,
      default: 600,
      description: 'Longest run of a sub-agent; a spawn may ask for less.',
    }),
    announce: Type.Union([Type.Literal('turn'), Type.Literal('note')], {
      default: 'turn',
      description:
        "How a finished sub-agent's result reaches the spawning session: 'turn' (a new turn there, so it can act on it) or 'note' (a system note the next turn reads).",
    }),
  },
  { ...closed, default: {} },
);
export type SubagentsConfig = Static<typeof SubagentsSchema>;

/**
 * `agentToAgent`: the session tools (`sessions_list`, `sessions_history`, `sessions_send`,
 * `sessions_spawn`) across agents. Off by default: a session then reaches only its own agent's sessions.
 */
export const AgentToAgentSchema = Type.Object(
  {
    enabled: Type.Boolean({
      default: false,
      description: 'Let agents reach other agents’ sessions, as far as `allow` grants.',
    }),
    allow: Type.Array(AgentPairSchema, {
      default: [],
      description: "Pairs { from, to }: agent 'from' may reach agent 'to'. One direction per pair.",
    }),
    visibility: Type.Union([Type.Literal('agent'), Type.Literal('self')], {
      default: 'agent',
      description:
        "Own-agent sessions a session may reach: 'agent' (all of its agent's sessions) or 'self' (itself, its parent and its sub-agents).",
    }),
    maxExchanges: Type.Integer({
      minimum: 0,
      maximum: 100,
      default: 10,
      description:
        'sessions_send and sessions_spawn calls one originating run (a person, a channel message, cron) may cause, counting every run they set off: the bound on back-and-forth.',
    }),
    maxWaitSeconds: Type.Integer({
      minimum: 1,
      maximum: 3600,
      default: 300,
      description: 'Longest a sessions_send may wait for the reply.',
    }),
    subagents: SubagentsSchema,
  },
  { ...closed, default: {} },
);
export type AgentToAgentConfig = Static<typeof AgentToAgentSchema>;
