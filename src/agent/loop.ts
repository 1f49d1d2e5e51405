import type { ThinkingLevel } from '../config/index.js';
import {
  addCost,
  addUsage,
  type Cost,
  emptyCost,
  emptyUsage,
  type ModelStream,
  type Usage,
} from '../models/index.js';
import { errorMessage } from '../shared/index.js';
import { EventQueue } from './event-queue.js';
import type { AgentEvent, AgentRun, AgentRunResult, RunErrorKind, StopReason } from './events.js';
import type { AgentAssistantMessage, AgentMessage, AgentUserMessage, MessageStopReason } from './messages.js';
import { callModel, type ModelCallResult } from './model-call.js';
import { DEFAULT_TOOL_RESULT_MAX_CHARS } from './sanitize.js';
import { type AgentTool, toolSpecs } from './tool.js';
import { type AfterToolCall, type BeforeToolCall, ToolRunner } from './tool-exec.js';

/** Default cap on model → tools cycles per run. */
export const DEFAULT_MAX_TOOL_ROUNDS = 32;

/** Everything a run needs. No files, no config: the caller assembles these. */
export interface AgentRunInput {
  runId: string;
  sessionKey: string;
  agentId: string;
  /** The conversation so far, ending with the new user turn. Not modified. */
  messages: readonly AgentMessage[];
  tools?: readonly AgentTool[];
  stream: ModelStream;
  /** `'<provider>/<model>'` and the refs to fall back to. */
  model: string;
  fallbacks?: readonly string[];
  thinking?: ThinkingLevel;
  maxTokens?: number;
  system?: string;
  signal?: AbortSignal;
  maxToolRounds?: number;
  /** Whole-run deadline; stopReason `timeout` when it passes. */
  runTimeoutMs?: number;
  /** Deadline for silence from the model within one call; stopReason `timeout`. */
  idleTimeoutMs?: number;
  /** Cap per tool result (characters). */
  toolResultMaxChars?: number;
  /** Strings scrubbed from tool results (API keys, tokens); a function is read at each result. */
  secrets?: readonly string[] | (() => readonly string[]);
  /** Messages that arrived while the run was going (queue mode `steer`); read after each tool round. */
  takeSteered?: () => readonly AgentUserMessage[];
  beforeToolCall?: BeforeToolCall;
  afterToolCall?: AfterToolCall;
  /**
   * Sees every message the model is given, in order: the input messages, then each assistant message,
   * tool result and steered message as it joins the context (taint tracking: what has this run read?).
   */
  observe?: (message: AgentMessage) => void;
  now?: () => number;
}

/**
 * Start a run: model call → tool calls → model call … until the model stops, a limit is hit, or the run is
 * aborted. Returns at once; iterate the run for events and await `result`. Model and tool failures never
 * throw: they become tool results, a stopReason and an `error` lifecycle event. On abort or timeout the
 * partial reply is kept (stopReason `aborted` / `timeout` on the message and the run); a run stopped during
 * its tools, or at the tool-round limit, ends `newMessages` with an empty assistant message carrying that
 * stopReason (`tool_rounds` for the limit).
 */
export function runAgent(input: AgentRunInput): AgentRun {
  const queue = new EventQueue<AgentEvent>();
  const result = execute(input, (ev) => queue.push(ev)).finally(() => queue.close());
  return { result, [Symbol.asyncIterator]: () => queue[Symbol.asyncIterator]() };
}

interface RunState {
  context: AgentMessage[];
  newMessages: AgentMessage[];
  usage: Usage;
  cost: Cost;
  rounds: number;
  served: { ref: string; provider: string } | undefined;
  /** The empty assistant message that closes a run stopped after a tool round (not the model's words). */
  closing?: AgentAssistantMessage;
}

function assistantMessage(
  call: ModelCallResult,
  stopReason: MessageStopReason,
  ts: number,
): AgentAssistantMessage {
  const keepCalls = stopReason === 'toolUse' || stopReason === 'stop' || stopReason === 'length';
  const content: AgentAssistantMessage['content'] = call.text ? [{ type: 'text', text: call.text }] : [];
  if (keepCalls) content.push(...call.toolCalls);
  return {
    role: 'assistant',
    content,
    timestamp: ts,
    stopReason,
    ...(call.served ? { model: call.served.ref, provider: call.served.provider } : {}),
    usage: call.usage,
    cost: call.cost,
    ...(call.error && stopReason === 'error' ? { errorMessage: call.error.message } : {}),
  };
}

/** The assistant message that ends a run stopped during or right after its tools (or at the tool-round limit): no text, no calls. */
function closingMessage(
  stopReason: 'aborted' | 'timeout' | 'tool_rounds',
  served: RunState['served'],
  ts: number,
): AgentAssistantMessage {
  return {
    role: 'assistant',
    content: [],
    timestamp: ts,
    stopReason,
    ...(served ? { model: served.ref, provider: served.provider } : {}),
  };
}

function messageStop(call: ModelCallResult, timedOut: () => boolean): MessageStopReason {
  if (call.idle || (call.aborted && timedOut())) return 'timeout';
  if (call.aborted) return 'aborted';
  if (call.error) return 'error';
  if (call.toolCalls.length) return 'toolUse';
  return call.finish === 'length' ? 'length' : 'stop';
}

async function execute(input: AgentRunInput, emit: (ev: AgentEvent) => void): Promise<AgentRunResult> {
  const now = input.now ?? Date.now;
  const startedAt = now();
  emit({ ts: startedAt, stream: 'lifecycle', data: { phase: 'start', startedAt } });
  const ctrl = new AbortController();
  const forward = () => ctrl.abort(input.signal?.reason);
  if (input.signal?.aborted) forward();
  else input.signal?.addEventListener('abort', forward, { once: true });
  let timedOut = false;
  const deadline =
    input.runTimeoutMs && input.runTimeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          ctrl.abort(new Error('run timeout'));
        }, input.runTimeoutMs)
      : undefined;
  const state: RunState = {
    context: [...input.messages],
    newMessages: [],
    usage: emptyUsage(),
    cost: emptyCost(),
    rounds: 0,
    served: undefined,
  };
  let stopReason: StopReason;
  let error: { kind: RunErrorKind; message: string } | undefined;
  try {
    ({ stopReason, error } = await loop(input, state, ctrl.signal, () => timedOut, emit, now));
  } catch (err) {
    stopReason = 'error';
    error = { kind: 'internal', message: errorMessage(err) };
  } finally {
    clearTimeout(deadline);
    input.signal?.removeEventListener('abort', forward);
  }
  const endedAt = now();
  if (stopReason === 'error') {
    const e = error ?? { kind: 'unknown', message: 'unknown error' };
    emit({
      ts: endedAt,
      stream: 'lifecycle',
      data: { phase: 'error', startedAt, endedAt, stopReason, error: e.message, errorKind: e.kind },
    });
  } else {
    const aborted = stopReason === 'aborted' || stopReason === 'timeout';
    emit({
      ts: endedAt,
      stream: 'lifecycle',
      data: { phase: 'end', startedAt, endedAt, aborted, stopReason },
    });
  }
  const last = [...state.newMessages]
    .reverse()
    .find((m): m is AgentAssistantMessage => m.role === 'assistant' && m !== state.closing);
  return {
    newMessages: state.newMessages,
    stopReason,
    usage: state.usage,
    cost: state.cost,
    ...(error ? { error } : {}),
    text: last ? last.content.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('') : '',
    toolRounds: state.rounds,
    ...(state.served ? { model: state.served.ref, provider: state.served.provider } : {}),
    startedAt,
    endedAt,
  };
}

async function loop(
  input: AgentRunInput,
  state: RunState,
  signal: AbortSignal,
  timedOut: () => boolean,
  emit: (ev: AgentEvent) => void,
  now: () => number,
): Promise<{ stopReason: StopReason; error?: { kind: RunErrorKind; message: string } }> {
  const tools = input.tools ?? [];
  const specs = toolSpecs(tools);
  const maxRounds = input.maxToolRounds ?? DEFAULT_MAX_TOOL_ROUNDS;
  const runner = new ToolRunner({
    tools,
    context: { runId: input.runId, sessionKey: input.sessionKey, agentId: input.agentId },
    beforeToolCall: input.beforeToolCall,
    afterToolCall: input.afterToolCall,
    maxChars: input.toolResultMaxChars ?? DEFAULT_TOOL_RESULT_MAX_CHARS,
    secrets: input.secrets ?? [],
    now,
  });
  for (const m of input.messages) input.observe?.(m);
  const add = (m: AgentMessage) => {
    state.context.push(m);
    state.newMessages.push(m);
    input.observe?.(m);
  };
  const stopped = (): 'aborted' | 'timeout' => (timedOut() ? 'timeout' : 'aborted');
  for (;;) {
    const call = await callModel({
      stream: input.stream,
      request: {
        model: input.model,
        ...(input.fallbacks ? { fallbacks: input.fallbacks } : {}),
        ...(input.system ? { system: input.system } : {}),
        messages: state.context,
        ...(specs.length ? { tools: specs } : {}),
        ...(input.maxTokens ? { maxTokens: input.maxTokens } : {}),
        ...(input.thinking ? { thinking: input.thinking } : {}),
      },
      signal,
      idleTimeoutMs: input.idleTimeoutMs,
      emit,
      now,
    });
    state.usage = addUsage(state.usage, call.usage);
    state.cost = addCost(state.cost, call.cost);
    if (call.served) {
      state.served = call.served;
      emit({
        ts: now(),
        stream: 'usage',
        data: { usage: call.usage, cost: call.cost, model: call.served.ref, provider: call.served.provider },
      });
    }
    const stop = messageStop(call, timedOut);
    const message = assistantMessage(call, stop, now());
    add(message);
    if (stop === 'timeout' || stop === 'aborted') return { stopReason: stop };
    if (stop === 'error') {
      const e = call.error ?? { kind: 'unknown' as const, message: 'model call failed' };
      return { stopReason: 'error', error: { kind: e.kind, message: e.message } };
    }
    if (stop !== 'toolUse') return { stopReason: stop };
    if (state.rounds >= maxRounds) {
      for (const c of call.toolCalls) {
        add(runner.notRun(c, `Not run: the limit of ${maxRounds} tool rounds per run was reached.`));
      }
      state.closing = closingMessage('tool_rounds', state.served, now());
      add(state.closing);
      return { stopReason: 'tool_rounds' };
    }
    state.rounds++;
    for (const c of call.toolCalls) {
      if (signal.aborted) {
        add(runner.notRun(c, 'Not run: the run was stopped.'));
        continue;
      }
      emit({
        ts: now(),
        stream: 'tool',
        data: { phase: 'start', name: c.name, toolCallId: c.id, args: c.arguments },
      });
      const result = await runner.run(c, signal);
      add(result);
      const text = result.content.map((p) => p.text).join('');
      emit({
        ts: now(),
        stream: 'tool',
        data: { phase: 'result', name: c.name, toolCallId: c.id, isError: result.isError, result: text },
      });
    }
    if (signal.aborted) {
      // The transcript must not end on a tool result: close the turn with an assistant message.
      const stop = stopped();
      state.closing = closingMessage(stop, state.served, now());
      add(state.closing);
      return { stopReason: stop };
    }
    for (const m of input.takeSteered?.() ?? []) add(m);
  }
}
