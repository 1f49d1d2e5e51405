import Type from 'typebox';
import { type AgentTool, defineTool, type ToolContext, type ToolOutput } from '../../agent/index.js';
import { errorMessage } from '../../shared/index.js';
import type { HistoryArgs, ListArgs } from './read.js';
import type { SendArgs, SendResult } from './send.js';
import type { SpawnArgs, SpawnResult } from './spawn.js';

/** What the tools call (`AgentBus` implements it). */
export interface SessionsToolsPort {
  list(ctx: ToolContext, args: ListArgs): Promise<unknown>;
  history(ctx: ToolContext, args: HistoryArgs): Promise<unknown>;
  send(ctx: ToolContext, args: SendArgs, signal: AbortSignal): Promise<SendResult>;
  spawn(ctx: ToolContext, args: SpawnArgs): Promise<SpawnResult>;
}

const AGENT_ID = { pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' } as const;
const AgentIdField = Type.String({ ...AGENT_ID, description: 'Only sessions of this agent.' });
const KINDS = ['main', 'dm', 'group', 'channel', 'subagent', 'cron', 'hook'] as const;

export const SessionsListParams = Type.Object(
  {
    agentId: Type.Optional(AgentIdField),
    kind: Type.Optional(Type.Union(KINDS.map((k) => Type.Literal(k)))),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  },
  { additionalProperties: false },
);

export const SessionsHistoryParams = Type.Object(
  {
    sessionKey: Type.String({
      minLength: 1,
      description: "A key from sessions_list, e.g. 'agent:research:main'.",
    }),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Messages per page.' }),
    cursor: Type.Optional(
      Type.Integer({ minimum: 0, description: 'From a previous page: read older messages.' }),
    ),
    includeTools: Type.Boolean({ default: false, description: 'Show tool calls and results too.' }),
  },
  { additionalProperties: false },
);

export const SessionsSendParams = Type.Object(
  {
    sessionKey: Type.Optional(Type.String({ minLength: 1, description: 'The session to write to.' })),
    agentId: Type.Optional(
      Type.String({ ...AGENT_ID, description: "Instead of sessionKey: that agent's main session." }),
    ),
    message: Type.String({ minLength: 1, maxLength: 20_000 }),
    timeoutSeconds: Type.Integer({
      minimum: 0,
      maximum: 3600,
      default: 60,
      description: 'How long to wait for the reply; 0 sends without waiting.',
    }),
  },
  { additionalProperties: false },
);

export const SessionsSpawnParams = Type.Object(
  {
    task: Type.String({
      minLength: 1,
      maxLength: 20_000,
      description: 'The whole task: the sub-agent sees nothing of this conversation.',
    }),
    agentId: Type.Optional(
      Type.String({ ...AGENT_ID, description: 'Run it as this agent (default: yours).' }),
    ),
    label: Type.Optional(Type.String({ minLength: 1, maxLength: 80, description: 'A short name for it.' })),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
  },
  { additionalProperties: false },
);

async function output(body: () => Promise<unknown>, isError?: (v: unknown) => boolean): Promise<ToolOutput> {
  try {
    const value = await body();
    const content = value as Record<string, unknown>;
    return isError?.(value) ? { content, isError: true } : { content };
  } catch (err) {
    return { content: errorMessage(err), isError: true };
  }
}

/** `sessions_list`, `sessions_history`, `sessions_send` and `sessions_spawn` over the bus. */
export function createSessionsTools(port: SessionsToolsPort): AgentTool[] {
  const list = defineTool({
    name: 'sessions_list',
    description:
      'List the conversation sessions you can reach (your agent’s, and other agents’ where allowed), newest first.',
    parameters: SessionsListParams,
    execute: (args, ctx) => output(() => port.list(ctx, args)),
  });
  const history = defineTool({
    name: 'sessions_history',
    description: 'Read a page of another session’s transcript (newest page first; pass cursor for older).',
    parameters: SessionsHistoryParams,
    execute: (args, ctx) => output(() => port.history(ctx, args)),
  });
  const send = defineTool({
    name: 'sessions_send',
    description:
      'Send a message into another session (it runs a turn there) and wait for its reply, unless timeoutSeconds is 0.',
    parameters: SessionsSendParams,
    execute: (args, ctx, signal) =>
      output(
        () => port.send(ctx, args, signal),
        (v) => (v as SendResult).status === 'error',
      ),
  });
  const spawn = defineTool({
    name: 'sessions_spawn',
    description:
      'Start a sub-agent on a task in the background. Returns its session key at once; its result is posted back to this session when it finishes.',
    parameters: SessionsSpawnParams,
    execute: (args, ctx) => output(() => port.spawn(ctx, args)),
  });
  return [list, history, send, spawn] as unknown as AgentTool[];
}
