import {
  type Cost,
  emptyCost,
  emptyUsage,
  type FinishReason,
  type ModelError,
  type ModelEvent,
  type ModelStream,
  type ModelStreamRequest,
  type ToolCallPart,
  type Usage,
} from '../models/index.js';
import { errorMessage } from '../shared/index.js';
import type { AgentEvent } from './events.js';

type Emit = (event: AgentEvent) => void;

export interface ModelCallInput {
  stream: ModelStream;
  request: Omit<ModelStreamRequest, 'signal'>;
  /** The run's signal: aborting it ends the call. */
  signal: AbortSignal;
  /** End the call when the model sends nothing for this long (0 or absent: never). */
  idleTimeoutMs: number | undefined;
  emit: Emit;
  now: () => number;
}

/** Everything one model call produced. */
export interface ModelCallResult {
  text: string;
  toolCalls: ToolCallPart[];
  finish: FinishReason | undefined;
  error: ModelError | undefined;
  /** The run's signal fired during the call. */
  aborted: boolean;
  /** The idle timeout fired. */
  idle: boolean;
  usage: Usage;
  cost: Cost;
  served: { ref: string; provider: string } | undefined;
}

/** Tool-call arguments as an object when they are a JSON object ('' counts as `{}`), else the raw text. */
export function parseToolArgs(args: string | Record<string, unknown>): Record<string, unknown> | string {
  if (typeof args !== 'string') return args;
  if (args.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(args);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : args;
  } catch {
    return args;
  }
}

function onEvent(ev: ModelEvent, r: ModelCallResult, emit: Emit, now: () => number): void {
  switch (ev.type) {
    case 'start':
      r.served = { ref: ev.ref, provider: ev.provider };
      return;
    case 'retry':
      emit({
        ts: now(),
        stream: 'model',
        data: { phase: 'retry', ref: ev.ref, next: ev.next, delayMs: ev.delayMs, error: ev.error.message },
      });
      return;
    case 'text-delta':
      r.text += ev.delta;
      emit({ ts: now(), stream: 'assistant', data: { text: r.text, delta: ev.delta } });
      return;
    case 'tool-call':
      r.toolCalls.push({ type: 'toolCall', id: ev.id, name: ev.name, arguments: parseToolArgs(ev.args) });
      return;
    case 'usage':
      r.usage = ev.usage;
      r.cost = ev.cost;
      return;
    case 'finish':
      r.finish = ev.reason;
      return;
    case 'error':
      r.error = ev.error;
      return;
  }
}

/**
 * Stream one model call and gather its text, tool calls and usage, emitting `assistant` deltas as they
 * come. Ends promptly when the run's signal fires or the idle timeout passes, even if the stream
 * implementation is slow to notice. Never throws.
 */
export async function callModel(input: ModelCallInput): Promise<ModelCallResult> {
  const r: ModelCallResult = {
    text: '',
    toolCalls: [],
    finish: undefined,
    error: undefined,
    aborted: false,
    idle: false,
    usage: emptyUsage(),
    cost: emptyCost(),
    served: undefined,
  };
  const ctrl = new AbortController();
  let onStop: () => void = () => {};
  const stopped = new Promise<'stopped'>((resolve) => {
    onStop = () => resolve('stopped');
    ctrl.signal.addEventListener('abort', onStop, { once: true });
  });
  const forward = () => ctrl.abort(input.signal.reason);
  if (input.signal.aborted) forward();
  else input.signal.addEventListener('abort', forward, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(timer);
    if (input.idleTimeoutMs && input.idleTimeoutMs > 0) {
      timer = setTimeout(() => {
        r.idle = true;
        ctrl.abort(new Error('idle timeout'));
      }, input.idleTimeoutMs);
    }
  };
  const it = input.stream.stream({ ...input.request, signal: ctrl.signal })[Symbol.asyncIterator]();
  try {
    arm();
    for (;;) {
      const pending = it.next();
      // If we stop first, a late rejection of `pending` must not become an unhandled rejection.
      pending.catch(() => {});
      const next = await Promise.race([pending, stopped]);
      if (next === 'stopped' || next.done) break;
      arm();
      onEvent(next.value, r, input.emit, input.now);
    }
  } catch (err) {
    r.error = { kind: 'unknown', message: errorMessage(err), retryable: false };
  } finally {
    clearTimeout(timer);
    input.signal.removeEventListener('abort', forward);
    // The fetch below keeps this signal alive; a listener left on it would keep the whole request too.
    ctrl.signal.removeEventListener('abort', onStop);
    if (ctrl.signal.aborted) it.return?.().catch(() => {});
  }
  r.aborted = input.signal.aborted;
  if (ctrl.signal.aborted && !r.aborted && !r.idle && !r.error)
    r.error = { kind: 'aborted', message: 'aborted', retryable: false };
  return r;
}
