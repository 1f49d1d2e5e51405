import Type from 'typebox';
import type { AgentTool } from '../agent/index.js';
import { defineTool } from './define-tool.js';
import { runTool } from './tool-result.js';

/** What the agent asks to send. */
export interface MessageRequest {
  channel: string;
  to: string;
  text: string;
  accountId?: string;
}

/** Who asks, for the outbound path's own checks (recipient policy, approvals, audit). */
export interface MessageMeta {
  sessionKey: string;
  agentId: string;
  runId: string;
  signal: AbortSignal;
}

/** What the outbound path reports back (all optional). */
export interface MessageSendResult {
  messageId?: string;
  [key: string]: unknown;
}

/**
 * The outbound port of the `message` tool (the gateway's outbound pipeline). It decides whether the
 * recipient is allowed and throws a CarapaceError when it is not or when delivery fails.
 */
export interface MessagePort {
  send(message: MessageRequest, meta: MessageMeta): Promise<MessageSendResult | undefined>;
}

/** The `message` tool: send text to a peer or group on a channel through the outbound port. */
export function createMessageTool(port: MessagePort): AgentTool {
  return defineTool({
    name: 'message',
    description:
      'Send a text message to someone on a chat channel (e.g. channel "telegram", to "<chat id>"). ' +
      'Your normal reply already goes back to the current conversation; use this only to reach another chat.',
    parameters: Type.Object(
      {
        channel: Type.String({
          minLength: 1,
          description: 'Channel id, e.g. "telegram", "discord", "slack".',
        }),
        to: Type.String({ minLength: 1, description: 'Recipient: a peer or group id on that channel.' }),
        text: Type.String({ minLength: 1, maxLength: 20_000, description: 'The message text.' }),
        accountId: Type.Optional(Type.String({ minLength: 1, description: 'Channel account, if several.' })),
      },
      { additionalProperties: false },
    ),
    execute: (args, ctx, signal) =>
      runTool(async () => {
        const request: MessageRequest = { channel: args.channel, to: args.to, text: args.text };
        if (args.accountId !== undefined) request.accountId = args.accountId;
        const result = await port.send(request, {
          sessionKey: ctx.sessionKey,
          agentId: ctx.agentId,
          runId: ctx.runId,
          signal,
        });
        const id = result?.messageId ? ` (message id ${result.messageId})` : '';
        return { content: `Sent to ${args.channel}:${args.to}${id}.` };
      }, 'message failed'),
  }) as AgentTool;
}
