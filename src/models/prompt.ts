import type { ProviderCallOptions, ProviderPrompt } from './language-model.js';
import type { ModelMessage, TextPart, ToolSpec } from './types.js';

type ProviderMessage = ProviderPrompt[number];
type ToolMessage = Extract<ProviderMessage, { role: 'tool' }>;

/** Sent as the result of a tool call that has none (a crash or abort between call and result). */
export const INTERRUPTED_TOOL_RESULT = 'No result: the tool call was interrupted before it finished.';

function texts(content: string | readonly TextPart[]): { type: 'text'; text: string }[] {
  const parts = typeof content === 'string' ? [{ type: 'text' as const, text: content }] : content;
  return parts.filter((p) => p.text !== '').map((p) => ({ type: 'text' as const, text: p.text }));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The provider-level prompt for a conversation. Keeps the transcript valid for every wire format:
 * empty texts and empty messages are dropped, a tool call without a result gets an error result
 * (INTERRUPTED_TOOL_RESULT), a result without its call is dropped, and consecutive results share one
 * tool message. Tool-call arguments that are not an object are sent as `{}`.
 */
export function toProviderPrompt(
  system: string | undefined,
  messages: readonly ModelMessage[],
): ProviderPrompt {
  const out: ProviderPrompt = [];
  if (system) out.push({ role: 'system', content: system });
  const open = new Map<string, string>();
  let toolMessage: ToolMessage | undefined;
  const result = (toolCallId: string, toolName: string, text: string, isError: boolean) => {
    if (!toolMessage) {
      toolMessage = { role: 'tool', content: [] };
      out.push(toolMessage);
    }
    const value = text === '' ? '(no output)' : text;
    const output = isError ? { type: 'error-text' as const, value } : { type: 'text' as const, value };
    toolMessage.content.push({ type: 'tool-result', toolCallId, toolName, output });
    open.delete(toolCallId);
  };
  const closeOpenCalls = () => {
    for (const [id, name] of [...open]) result(id, name, INTERRUPTED_TOOL_RESULT, true);
    toolMessage = undefined;
  };
  for (const m of messages) {
    if (m.role === 'toolResult') {
      if (open.has(m.toolCallId))
        result(m.toolCallId, m.toolName, m.content.map((p) => p.text).join('\n'), m.isError);
      continue;
    }
    closeOpenCalls();
    if (m.role === 'user') {
      const content = texts(m.content);
      if (content.length) out.push({ role: 'user', content });
      continue;
    }
    const content: Extract<ProviderMessage, { role: 'assistant' }>['content'] = [];
    for (const part of m.content) {
      if (part.type === 'text') {
        if (part.text !== '') content.push({ type: 'text', text: part.text });
        continue;
      }
      const input = isPlainObject(part.arguments) ? part.arguments : {};
      content.push({ type: 'tool-call', toolCallId: part.id, toolName: part.name, input });
      open.set(part.id, part.name);
    }
    if (content.length) out.push({ role: 'assistant', content });
  }
  closeOpenCalls();
  return out;
}

/** The provider-level function tools. */
export function toProviderTools(tools: readonly ToolSpec[]): NonNullable<ProviderCallOptions['tools']> {
  return tools.map((t) => ({
    type: 'function' as const,
    name: t.name,
    description: t.description,
    inputSchema: t.jsonSchema as Extract<
      NonNullable<ProviderCallOptions['tools']>[number],
      { type: 'function' }
    >['inputSchema'],
  }));
}
