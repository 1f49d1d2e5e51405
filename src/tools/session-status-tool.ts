import Type from 'typebox';
import type { AgentTool } from '../agent/index.js';
import { defineTool } from './define-tool.js';
import { runTool } from './tool-result.js';

/** The session-status port: the gateway answers for the calling session (model, tokens, queue …). */
export interface SessionStatusPort {
  status(query: { sessionKey: string; agentId: string }): Promise<Record<string, unknown> | string>;
}

/** The `session_status` tool: the status of the current session. */
export function createSessionStatusTool(port: SessionStatusPort): AgentTool {
  return defineTool({
    name: 'session_status',
    description:
      'Show the status of this conversation session: model, token usage and context size, queue and settings.',
    parameters: Type.Object({}, { additionalProperties: false }),
    execute: (_args, ctx) =>
      runTool(
        async () => ({ content: await port.status({ sessionKey: ctx.sessionKey, agentId: ctx.agentId }) }),
        'session_status failed',
      ),
  }) as AgentTool;
}
