import type { AgentMessage } from '../../agent/index.js';
import type { Cost, Usage } from '../../models/index.js';
import type { MessageEntry, MessageFields, TranscriptEntry } from '../../sessions/index.js';

/** Transcript text of a message's content (text parts joined). */
function textOf(content: MessageEntry['content']): string {
  if (typeof content === 'string') return content;
  return content.map((p) => (p.type === 'text' && typeof p.text === 'string' ? p.text : '')).join('');
}

function usageOf(entry: MessageEntry): Usage | undefined {
  if (!entry.usage) return undefined;
  const u = entry.usage as MessageEntry['usage'] & { cacheRead?: number; cacheWrite?: number };
  return { input: u.input, output: u.output, cacheRead: u.cacheRead ?? 0, cacheWrite: u.cacheWrite ?? 0 };
}

/** One transcript message as the agent loop's message (system notes become user text the model can see). */
export function toAgentMessage(entry: MessageEntry): AgentMessage {
  const timestamp = entry.ts;
  switch (entry.role) {
    case 'assistant': {
      const text = textOf(entry.content);
      const content: Extract<AgentMessage, { role: 'assistant' }>['content'] = [];
      if (text) content.push({ type: 'text', text });
      for (const call of entry.toolCalls ?? []) {
        const args = call.args;
        const normalized =
          typeof args === 'string' || (args && typeof args === 'object' && !Array.isArray(args))
            ? (args as Record<string, unknown> | string)
            : {};
        content.push({ type: 'toolCall', id: call.id, name: call.name, arguments: normalized });
      }
      const stop = (entry.stopReason ?? (entry.toolCalls?.length ? 'toolUse' : 'stop')) as Extract<
        AgentMessage,
        { role: 'assistant' }
      >['stopReason'];
      const msg: Extract<AgentMessage, { role: 'assistant' }> = {
        role: 'assistant',
        content,
        timestamp,
        stopReason: stop,
      };
      const usage = usageOf(entry);
      if (usage) msg.usage = usage;
      if (entry.model) msg.model = entry.model;
      if (entry.provider) msg.provider = entry.provider;
      return msg;
    }
    case 'tool':
      return {
        role: 'toolResult',
        toolCallId: entry.toolCallId ?? 'unknown',
        toolName: entry.toolName ?? 'unknown',
        content: [{ type: 'text', text: textOf(entry.content) }],
        isError: entry.isError ?? false,
        timestamp,
      };
    case 'system':
      return { role: 'user', content: `[system note] ${textOf(entry.content)}`, timestamp };
    default:
      return { role: 'user', content: textOf(entry.content), timestamp };
  }
}

/**
 * The model context from a transcript: after the last compaction, its summary then the kept messages;
 * otherwise every message. `ids[i]` is the transcript entry of `messages[i]` (undefined for the summary).
 */
export function contextWithIds(entries: readonly TranscriptEntry[]): {
  messages: AgentMessage[];
  ids: (string | undefined)[];
} {
  let start = 0;
  let summary: { text: string; ts: number } | undefined;
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i];
    if (e?.type !== 'compaction') continue;
    summary = { text: e.summary, ts: e.ts };
    const kept = e.firstKeptId ? entries.findIndex((x) => x.id === e.firstKeptId) : -1;
    start = kept >= 0 ? kept : i + 1;
    break;
  }
  const messages: AgentMessage[] = [];
  const ids: (string | undefined)[] = [];
  if (summary) {
    messages.push({
      role: 'user',
      content: `The conversation so far was compacted. Summary of the earlier part:\n\n${summary.text}`,
      timestamp: summary.ts,
    });
    ids.push(undefined);
  }
  for (const e of entries.slice(start)) {
    if (e.type !== 'message') continue;
    messages.push(toAgentMessage(e));
    ids.push(e.id);
  }
  return { messages, ids };
}

/** The model context from a transcript (see contextWithIds). */
export function contextFromTranscript(entries: readonly TranscriptEntry[]): AgentMessage[] {
  return contextWithIds(entries).messages;
}

/** An agent loop message as transcript fields, tagged with the run it belongs to. */
export function toTranscriptFields(message: AgentMessage, runId: string): MessageFields {
  if (message.role === 'user') {
    const content =
      typeof message.content === 'string' ? message.content : message.content.map((p) => p.text).join('');
    return { role: 'user', content, runId };
  }
  if (message.role === 'toolResult') {
    return {
      role: 'tool',
      content: message.content.map((p) => p.text).join(''),
      toolCallId: message.toolCallId,
      toolName: message.toolName,
      isError: message.isError,
      runId,
    };
  }
  const text = message.content.map((p) => (p.type === 'text' ? p.text : '')).join('');
  const toolCalls = message.content.flatMap((p) =>
    p.type === 'toolCall' ? [{ id: p.id, name: p.name, args: p.arguments }] : [],
  );
  const fields: MessageFields & { cost?: Cost; errorMessage?: string } = {
    role: 'assistant',
    content: text,
    stopReason: message.stopReason,
    runId,
  };
  if (toolCalls.length > 0) fields.toolCalls = toolCalls;
  if (message.model) fields.model = message.model;
  if (message.provider) fields.provider = message.provider;
  if (message.usage) {
    const u = message.usage;
    fields.usage = {
      input: u.input,
      output: u.output,
      total: u.input + u.output,
      ...{ cacheRead: u.cacheRead, cacheWrite: u.cacheWrite },
    };
  }
  if (message.cost) fields.cost = message.cost;
  if (message.errorMessage) fields.errorMessage = message.errorMessage;
  return fields;
}
