import Type, { type Static } from 'typebox';
import { CronDeliverySchema, compileValidator, formatIssues } from '../protocol/index.js';
import { CarapaceError } from '../shared/index.js';

const closed = { additionalProperties: false } as const;
const AgentId = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' });
const WakeMode = Type.Union([Type.Literal('now'), Type.Literal('next-heartbeat')]);
/** A label the caller chooses (it reaches the main session outside the untrusted wrapper): plain words only. */
const Label = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9 ._:@/-]{0,99}$' });

/** `POST /hooks/wake`: text for the agent's main session; `now` (default) beats at once. */
export const HookWakeBodySchema = Type.Object(
  {
    text: Type.String({ minLength: 1, maxLength: 100_000 }),
    mode: Type.Optional(WakeMode),
    agentId: Type.Optional(AgentId),
    /** A label for where it came from (shown to the model as the source), e.g. 'github'. */
    source: Type.Optional(Label),
  },
  closed,
);

/** `POST /hooks/agent`: an isolated turn (session `hook:<uuid>`) whose reply goes back to the main session. */
export const HookAgentBodySchema = Type.Object(
  {
    message: Type.String({ minLength: 1, maxLength: 100_000 }),
    name: Type.Optional(Label),
    agentId: Type.Optional(AgentId),
    wakeMode: Type.Optional(WakeMode),
    deliver: Type.Optional(CronDeliverySchema),
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
  },
  closed,
);

type WakeBody = Static<typeof HookWakeBodySchema>;
type AgentBody = Static<typeof HookAgentBodySchema>;

/** A checked `/hooks/agent` request with its defaults applied. */
export interface HookAgentBody extends Omit<AgentBody, 'agentId' | 'name' | 'wakeMode'> {
  agentId: string;
  name: string;
  wakeMode: 'now' | 'next-heartbeat';
}

const checkWake = compileValidator<WakeBody>(HookWakeBodySchema);
const checkAgent = compileValidator<AgentBody>(HookAgentBodySchema);

function agentOf(id: string | undefined, agents: { defaultId: string; ids: readonly string[] }): string {
  const agentId = id ?? agents.defaultId;
  if (agents.ids.length > 0 && !agents.ids.includes(agentId)) {
    throw new CarapaceError(
      'UNKNOWN_AGENT_ID',
      `unknown agent '${agentId}' (configured: ${agents.ids.join(', ')})`,
    );
  }
  return agentId;
}

/** Check a `/hooks/wake` body; errors say which field is wrong. */
export function parseWakeBody(
  body: unknown,
  agents: { defaultId: string; ids: readonly string[] },
): { text: string; mode: 'now' | 'next-heartbeat'; agentId: string; source?: string } {
  if (!checkWake.check(body)) {
    throw new CarapaceError(
      'INVALID_PARAMS',
      `invalid /hooks/wake body: ${formatIssues(checkWake.issues(body))}`,
    );
  }
  return {
    text: body.text,
    mode: body.mode ?? 'now',
    agentId: agentOf(body.agentId, agents),
    ...(body.source ? { source: body.source } : {}),
  };
}

/** Check a `/hooks/agent` body; errors say which field is wrong. */
export function parseAgentBody(
  body: unknown,
  agents: { defaultId: string; ids: readonly string[] },
): HookAgentBody {
  if (!checkAgent.check(body)) {
    throw new CarapaceError(
      'INVALID_PARAMS',
      `invalid /hooks/agent body: ${formatIssues(checkAgent.issues(body))}`,
    );
  }
  return {
    ...body,
    agentId: agentOf(body.agentId, agents),
    name: body.name ?? 'webhook',
    wakeMode: body.wakeMode ?? 'now',
  };
}
