/** Token counts of one turn, as the gateway reports them. */
export interface TurnUsage {
  input: number;
  output: number;
  total?: number;
}

/** One thing on the chat screen. `key` is stable across re-renders. */
export type ChatItem =
  | { kind: 'user'; key: string; text: string; ts: number; runId?: string; pending?: boolean }
  | {
      kind: 'assistant';
      key: string;
      text: string;
      ts: number;
      runId?: string;
      streaming: boolean;
      usage?: TurnUsage;
      model?: string;
      cutOff?: boolean;
    }
  | {
      kind: 'tool';
      key: string;
      name: string;
      args: string;
      runId?: string;
      result?: string;
      isError?: boolean;
      done: boolean;
    }
  | { kind: 'error'; key: string; text: string; runId?: string; configureModel: boolean }
  | { kind: 'notice'; key: string; text: string; runId?: string };

/** A transcript message as `chat.history` returns it (fields the UI reads; the rest is ignored). */
interface HistoryMessage {
  id?: string;
  ts?: number;
  role?: string;
  content?: unknown;
  usage?: { input?: number; output?: number; total?: number };
  toolCalls?: { id: string; name: string; args: unknown }[];
  toolCallId?: string;
  toolName?: string;
  isError?: boolean;
  stopReason?: string;
  model?: string;
  runId?: string;
  errorMessage?: string;
}

/** A page of `chat.history`. */
export interface HistoryPage {
  messages: unknown[];
  hasMore: boolean;
  cursor?: number;
}

/** The gateway's words for "configure a model first" (models/resolve.ts). */
const NO_MODEL = /no model is (configured|chosen)/i;

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((p: { type?: string; text?: unknown }) =>
      p?.type === 'text' && typeof p.text === 'string' ? p.text : '',
    )
    .join('');
}

function argsText(args: unknown): string {
  if (typeof args === 'string') return args;
  try {
    return JSON.stringify(args, null, 2) ?? '';
  } catch {
    return String(args);
  }
}

function usageOf(u: unknown): TurnUsage | undefined {
  const o = u as { input?: unknown; output?: unknown; total?: unknown } | undefined;
  if (!o || typeof o.input !== 'number' || typeof o.output !== 'number') return undefined;
  if (o.input === 0 && o.output === 0) return undefined;
  return typeof o.total === 'number'
    ? { input: o.input, output: o.output, total: o.total }
    : { input: o.input, output: o.output };
}

/** Screen items for transcript messages (oldest first); tool results fold into their calls. */
export function historyToItems(messages: readonly unknown[]): ChatItem[] {
  const items: ChatItem[] = [];
  const tools = new Map<string, Extract<ChatItem, { kind: 'tool' }>>();
  messages.forEach((raw, i) => {
    const m = raw as HistoryMessage;
    const key = m.id ?? `h${i}`;
    const ts = m.ts ?? 0;
    const text = textOf(m.content);
    const run = m.runId ? { runId: m.runId } : {};
    if (m.role === 'user') items.push({ kind: 'user', key, text, ts, ...run });
    else if (m.role === 'assistant') {
      if (m.stopReason === 'error') {
        const errText = text || m.errorMessage || 'the run failed';
        items.push({ kind: 'error', key, text: errText, configureModel: NO_MODEL.test(errText), ...run });
        return;
      }
      if (text) {
        const item: ChatItem = { kind: 'assistant', key, text, ts, streaming: false, ...run };
        const usage = usageOf(m.usage);
        if (usage) item.usage = usage;
        if (m.model) item.model = m.model;
        if (m.stopReason === 'length') item.cutOff = true;
        items.push(item);
      }
      for (const call of m.toolCalls ?? []) {
        const tool: Extract<ChatItem, { kind: 'tool' }> = {
          kind: 'tool',
          key: `${key}:${call.id}`,
          name: call.name,
          args: argsText(call.args),
          done: false,
          ...run,
        };
        tools.set(call.id, tool);
        items.push(tool);
      }
    } else if (m.role === 'tool') {
      const tool = m.toolCallId ? tools.get(m.toolCallId) : undefined;
      if (tool) {
        tool.result = text;
        tool.isError = m.isError ?? false;
        tool.done = true;
      } else {
        items.push({
          kind: 'tool',
          key,
          name: m.toolName ?? 'tool',
          args: '',
          result: text,
          isError: m.isError ?? false,
          done: true,
          ...run,
        });
      }
    } else if (text) items.push({ kind: 'notice', key, text, ...run });
  });
  return items;
}

/** What one `chat` event carries (PROTOCOL.md). */
export interface ChatEventPayload {
  runId: string;
  sessionKey: string;
  state: 'delta' | 'final' | 'aborted' | 'error';
  deltaText?: string;
  message?: unknown;
  stopReason?: string;
  usage?: unknown;
  errorMessage?: string;
}

/** What one `agent` event carries (PROTOCOL.md). */
export interface AgentEventPayload {
  runId: string;
  sessionKey: string;
  stream: string;
  data: unknown;
}

/** How a run ended, for the caller to react (reload history after `/new`, etc.). */
export interface RunEnd {
  runId: string;
  state: 'final' | 'aborted' | 'error';
  /** The user message of the run was typed here (false: another client or a channel started it). */
  local: boolean;
}

/**
 * The chat screen's model: history pages plus live runs. `chat` events give the text (streamed, then
 * final), `agent` events with stream `tool` give tool calls and their results; a tool call closes the
 * current text segment so the reply reads in order.
 */
export class Transcript {
  items: ChatItem[] = [];
  hasMore = false;
  cursor: number | undefined;
  /** Runs started here or seen streaming that have not ended. */
  readonly active = new Set<string>();
  /** The text segment each running run is writing into. */
  readonly #open = new Map<string, Extract<ChatItem, { kind: 'assistant' }>>();
  #segments = 0;

  /** Replace everything with the newest page (after loading a session or reconnecting). */
  load(page: HistoryPage): void {
    const pending = this.items.filter((i) => i.kind === 'user' && i.pending);
    this.items = historyToItems(page.messages);
    // Keep messages still waiting to be sent (or whose run has not been recorded yet).
    for (const p of pending)
      if (!this.items.some((i) => i.kind === 'user' && i.runId === p.runId)) this.items.push(p);
    this.hasMore = page.hasMore;
    this.cursor = page.cursor;
    this.#open.clear();
    // Whether other runs still go is unknown after a reload; their next event marks them active again.
    for (const id of [...this.active])
      if (!pending.some((p) => p.kind === 'user' && p.runId === id)) this.active.delete(id);
  }

  /** Put an older page in front ("load older"). */
  prepend(page: HistoryPage): void {
    this.items = [...historyToItems(page.messages), ...this.items];
    this.hasMore = page.hasMore;
    this.cursor = page.cursor;
  }

  /** A message typed here, shown at once; `runId` is its idempotency key. */
  addLocalUser(text: string, runId: string, ts: number): void {
    this.items.push({ kind: 'user', key: `local:${runId}`, text, ts, runId, pending: true });
    this.active.add(runId);
  }

  /** The send was accepted (or answered without a run, like `/stop`). */
  sent(runId: string, startedRun: boolean): void {
    this.#settleUser(runId);
    if (!startedRun) this.active.delete(runId);
  }

  /** The send failed for good: drop the pending flag and say why. */
  failed(runId: string, message: string): void {
    this.#settleUser(runId);
    this.active.delete(runId);
    this.items.push({
      kind: 'error',
      key: `send:${runId}`,
      text: message,
      runId,
      configureModel: NO_MODEL.test(message),
    });
  }

  /** Apply a `chat` event of this session. Returns how the run ended when it did. */
  applyChat(p: ChatEventPayload, ts: number): RunEnd | undefined {
    this.#settleUser(p.runId);
    const local = this.items.some((i) => i.kind === 'user' && i.runId === p.runId);
    if (p.state === 'delta') {
      this.active.add(p.runId);
      const seg = this.#segment(p.runId, ts);
      const full = textOf((p.message as { content?: unknown } | undefined)?.content);
      seg.text = full || seg.text + (p.deltaText ?? '');
      return undefined;
    }
    this.active.delete(p.runId);
    const seg = this.#open.get(p.runId);
    this.#open.delete(p.runId);
    if (seg) seg.streaming = false;
    if (p.state === 'final') {
      const text = textOf((p.message as { content?: unknown } | undefined)?.content);
      let target = seg ?? this.#lastSegment(p.runId);
      if (text && (!target || (target.text !== text && this.#toolAfter(target)))) {
        target = { kind: 'assistant', key: `${p.runId}:final`, text, ts, runId: p.runId, streaming: false };
        this.items.push(target);
      } else if (target && text) target.text = text;
      const usage = usageOf(p.usage);
      if (target && usage) target.usage = usage;
      if (target && p.stopReason === 'length') target.cutOff = true;
    } else if (p.state === 'aborted') {
      const text = p.stopReason === 'timeout' ? 'The run timed out.' : 'Stopped.';
      this.items.push({ kind: 'notice', key: `${p.runId}:aborted`, text, runId: p.runId });
    } else {
      const text = p.errorMessage ?? 'the run failed';
      this.items.push({
        kind: 'error',
        key: `${p.runId}:error`,
        text,
        runId: p.runId,
        configureModel: NO_MODEL.test(text),
      });
    }
    return { runId: p.runId, state: p.state, local };
  }

  /** Apply an `agent` event of this session: tool calls and their results. */
  applyAgent(p: AgentEventPayload): void {
    if (p.stream !== 'tool') return;
    const d = p.data as {
      phase?: string;
      name?: string;
      toolCallId?: string;
      args?: unknown;
      result?: unknown;
      isError?: boolean;
    };
    if (!d?.toolCallId) return;
    const key = `${p.runId}:tool:${d.toolCallId}`;
    if (d.phase === 'start') {
      const seg = this.#open.get(p.runId);
      if (seg) seg.streaming = false;
      this.#open.delete(p.runId);
      this.items.push({
        kind: 'tool',
        key,
        name: d.name ?? 'tool',
        args: argsText(d.args),
        runId: p.runId,
        done: false,
      });
    } else if (d.phase === 'result') {
      const tool = this.items.find((i) => i.key === key);
      if (tool?.kind === 'tool') {
        tool.result = typeof d.result === 'string' ? d.result : argsText(d.result);
        tool.isError = d.isError ?? false;
        tool.done = true;
      }
    }
  }

  /** The run the composer's Stop button aborts (the newest active one). */
  get runningRunId(): string | undefined {
    return [...this.active].at(-1);
  }

  #segment(runId: string, ts: number): Extract<ChatItem, { kind: 'assistant' }> {
    let seg = this.#open.get(runId);
    if (!seg) {
      seg = {
        kind: 'assistant',
        key: `${runId}:seg${++this.#segments}`,
        text: '',
        ts,
        runId,
        streaming: true,
      };
      this.items.push(seg);
      this.#open.set(runId, seg);
    }
    return seg;
  }

  #lastSegment(runId: string): Extract<ChatItem, { kind: 'assistant' }> | undefined {
    for (let i = this.items.length - 1; i >= 0; i--) {
      const item = this.items[i];
      if (item?.kind === 'assistant' && item.runId === runId) return item;
    }
    return undefined;
  }

  #toolAfter(seg: ChatItem): boolean {
    const at = this.items.indexOf(seg);
    return this.items.slice(at + 1).some((i) => i.kind === 'tool' && i.runId === seg.runId);
  }

  #settleUser(runId: string): void {
    for (const i of this.items) if (i.kind === 'user' && i.runId === runId) i.pending = false;
  }
}
