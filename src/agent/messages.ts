import Type, { type Static } from 'typebox';
import { CostSchema, TextPartSchema, ToolCallPartSchema, UsageSchema } from '../models/index.js';

/**
 * Why an assistant message ended: the model stopped (`stop`), hit its output limit (`length`), asked for
 * tools (`toolUse`), or the run was aborted, timed out or failed while it was being written.
 */
export const MessageStopReasonSchema = Type.Union([
  Type.Literal('stop'),
  Type.Literal('length'),
  Type.Literal('toolUse'),
  Type.Literal('aborted'),
  Type.Literal('timeout'),
  Type.Literal('error'),
  // The run hit `maxToolRounds`: the empty assistant message closing it (see loop.ts).
  Type.Literal('tool_rounds'),
]);
export type MessageStopReason = Static<typeof MessageStopReasonSchema>;

/** A user turn (from a channel, `chat.send`, cron, a heartbeat, a steered follow-up …). */
export const AgentUserMessageSchema = Type.Object({
  role: Type.Literal('user'),
  content: Type.Union([Type.String(), Type.Array(TextPartSchema)]),
  timestamp: Type.Number(),
});
export type AgentUserMessage = Static<typeof AgentUserMessageSchema>;

/** What the model said in one call: text and tool calls in order, with what it cost. */
export const AgentAssistantMessageSchema = Type.Object({
  role: Type.Literal('assistant'),
  content: Type.Array(Type.Union([TextPartSchema, ToolCallPartSchema])),
  timestamp: Type.Number(),
  stopReason: MessageStopReasonSchema,
  /** The model that answered, as `provider/model` (after any failover). */
  model: Type.Optional(Type.String()),
  provider: Type.Optional(Type.String()),
  usage: Type.Optional(UsageSchema),
  cost: Type.Optional(CostSchema),
  errorMessage: Type.Optional(Type.String()),
});
export type AgentAssistantMessage = Static<typeof AgentAssistantMessageSchema>;

/** The (sanitized) result of one tool call, sent back to the model. */
export const AgentToolResultMessageSchema = Type.Object({
  role: Type.Literal('toolResult'),
  toolCallId: Type.String(),
  toolName: Type.String(),
  content: Type.Array(TextPartSchema),
  isError: Type.Boolean(),
  timestamp: Type.Number(),
});
export type AgentToolResultMessage = Static<typeof AgentToolResultMessageSchema>;

/** One transcript message. Assignable to the models' ModelMessage, so a transcript is a prompt as is. */
export const AgentMessageSchema = Type.Union([
  AgentUserMessageSchema,
  AgentAssistantMessageSchema,
  AgentToolResultMessageSchema,
]);
export type AgentMessage = Static<typeof AgentMessageSchema>;

/** A user message with the given text. */
export function userMessage(text: string, timestamp: number): AgentUserMessage {
  return { role: 'user', content: text, timestamp };
}

/** The text of a message (text parts joined; tool calls left out). */
export function messageText(message: AgentMessage): string {
  if (typeof message.content === 'string') return message.content;
  return message.content.map((p) => (p.type === 'text' ? p.text : '')).join('');
}
