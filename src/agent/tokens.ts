import type { AgentMessage } from './messages.js';

/** Tokens a message costs beyond its text (role markers, ids). */
const PER_MESSAGE = 4;

/**
 * A deliberately simple token estimate: one token per 4 characters, rounded up. Good to ±25 % for
 * English and code, which is enough to decide when to compact (the threshold leaves the slack).
 */
export function estimateTextTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Estimated tokens of one message (text, tool-call names and arguments, tool results). */
export function estimateMessageTokens(message: AgentMessage): number {
  if (typeof message.content === 'string') return PER_MESSAGE + estimateTextTokens(message.content);
  let chars = 0;
  for (const part of message.content) {
    if (part.type === 'text') chars += part.text.length;
    else {
      const args = typeof part.arguments === 'string' ? part.arguments : JSON.stringify(part.arguments);
      chars += part.name.length + args.length + part.id.length;
    }
  }
  return PER_MESSAGE + Math.ceil(chars / 4);
}

/** Estimated tokens of a conversation plus its system prompt. */
export function estimateContextTokens(messages: readonly AgentMessage[], system = ''): number {
  return messages.reduce((sum, m) => sum + estimateMessageTokens(m), estimateTextTokens(system));
}
