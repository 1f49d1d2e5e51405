import pc from 'picocolors';
import { formatCount, formatLocalTime } from '../table.js';

/** A transcript message as `chat.history` sends it (open: fields this CLI does not know are ignored). */
export interface HistoryMessage {
  ts?: number;
  role?: string;
  content?: string | { type: string; text?: unknown }[];
  usage?: { input?: number; output?: number; total?: number };
  toolCalls?: { id: string; name: string; args: unknown }[];
  toolName?: string;
  isError?: boolean;
  stopReason?: string;
  model?: string;
  provider?: string;
  errorMessage?: string;
}

/** The `chat.history` answer. */
export interface HistoryPayload {
  sessionKey: string;
  sessionId?: string;
  messages: HistoryMessage[];
  hasMore: boolean;
  cursor?: number;
}

const MAX_ARGS_CHARS = 200;

function textOf(content: HistoryMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((p) => (p.type === 'text' && typeof p.text === 'string' ? p.text : `[${p.type}]`))
    .join('');
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** The heading of one message: time, role and what is worth knowing about it. */
function heading(m: HistoryMessage): string {
  const notes: string[] = [];
  if (m.role === 'tool' && m.toolName) notes.push(m.toolName);
  if (m.model) notes.push(m.provider && !m.model.includes('/') ? `${m.provider}/${m.model}` : m.model);
  if (m.usage) {
    const total = m.usage.total ?? (m.usage.input ?? 0) + (m.usage.output ?? 0);
    notes.push(`${formatCount(total)} tokens`);
  }
  if (m.stopReason && !['stop', 'toolUse', 'tool_calls'].includes(m.stopReason)) notes.push(m.stopReason);
  if (m.isError) notes.push('error');
  const role = m.role ?? 'message';
  const colored = role === 'user' ? pc.cyan(role) : role === 'assistant' ? pc.green(role) : pc.yellow(role);
  const extra = notes.length ? pc.dim(` (${notes.join(', ')})`) : '';
  return `${pc.dim(`[${m.ts === undefined ? '?' : formatLocalTime(m.ts)}]`)} ${colored}${extra}`;
}

/** One message: the heading, then its text and tool calls indented by two spaces. */
function formatMessage(m: HistoryMessage): string {
  const body: string[] = [];
  const text = textOf(m.content);
  if (text) body.push(...text.split('\n'));
  for (const call of m.toolCalls ?? []) {
    const args = typeof call.args === 'string' ? call.args : JSON.stringify(call.args ?? {});
    body.push(pc.dim(`→ ${call.name}(${clip(args, MAX_ARGS_CHARS)})`));
  }
  if (m.errorMessage && m.errorMessage !== text) body.push(pc.red(m.errorMessage));
  if (body.length === 0) body.push(pc.dim('(empty)'));
  return [heading(m), ...body.map((line) => `  ${line}`)].join('\n');
}

/** A `chat.history` page for people: a heading, the messages oldest first, and how to see older ones. */
export function formatHistory(page: HistoryPayload): string {
  const n = page.messages.length;
  const head = `Session ${page.sessionKey} ${pc.dim(`(${page.sessionId ?? 'none'}): ${n} message${n === 1 ? '' : 's'}${page.hasMore ? ', older ones not shown' : ''}`)}`;
  const parts = [head, ...page.messages.map(formatMessage)];
  if (page.hasMore) parts.push(pc.dim('(older messages not shown: pass a larger --limit)'));
  return `${parts.join('\n\n')}\n`;
}
