import type { TSchema } from 'typebox';
import Value from 'typebox/value';
import type { ToolCallPart } from '../models/index.js';
import { compileValidator, formatIssues, type Validator } from '../protocol/index.js';
import { errorMessage } from '../shared/index.js';
import type { AgentToolResultMessage } from './messages.js';
import { sanitizeToolText } from './sanitize.js';
import type { AgentTool, ToolContext, ToolOutput } from './tool.js';

/** A tool call as hooks see it: arguments already parsed and validated. */
export interface ToolCallInfo {
  toolCallId: string;
  name: string;
  args: Record<string, unknown>;
}

/** What `beforeToolCall` may answer: nothing (go on), a reason to block the call, or replaced arguments. */
export type BeforeToolCallResult = undefined | { block: string } | { args: Record<string, unknown> };

/** Runs before each validated tool call (policy, approvals). Blocking turns into an error result. */
export type BeforeToolCall = (call: ToolCallInfo, ctx: ToolContext) => Promise<BeforeToolCallResult>;

/** Runs after each executed tool call; may replace the output (before sanitizing). */
export type AfterToolCall = (
  call: ToolCallInfo,
  output: ToolOutput,
  ctx: ToolContext,
) => Promise<ToolOutput | undefined>;

export interface ToolRunnerOptions {
  tools: readonly AgentTool[];
  context: Omit<ToolContext, 'toolCallId'>;
  beforeToolCall?: BeforeToolCall | undefined;
  afterToolCall?: AfterToolCall | undefined;
  maxChars: number;
  secrets: readonly string[] | (() => readonly string[]);
  now: () => number;
}

/** Runs tool calls: lookup, argument parsing and validation, hooks, execution, sanitizing. Never throws. */
export class ToolRunner {
  readonly #tools = new Map<string, { tool: AgentTool; validator?: Validator<unknown> }>();
  readonly #options: ToolRunnerOptions;

  constructor(options: ToolRunnerOptions) {
    this.#options = options;
    for (const tool of options.tools) {
      // Validators are compiled on a tool's first call: most turns call few tools, or none.
      this.#tools.set(tool.name, { tool });
    }
  }

  /** The result message of a call that did not run (round limit, abort …). */
  notRun(call: ToolCallPart, why: string): AgentToolResultMessage {
    return this.#message(call, { content: why, isError: true });
  }

  /** Run one call to completion and return its (sanitized) result message. */
  async run(call: ToolCallPart, signal: AbortSignal): Promise<AgentToolResultMessage> {
    const ctx: ToolContext = { ...this.#options.context, toolCallId: call.id };
    const entry = this.#tools.get(call.name);
    if (!entry) {
      const known = [...this.#tools.keys()].join(', ') || 'none';
      return this.#message(call, {
        content: `Unknown tool '${call.name}'. Available tools: ${known}.`,
        isError: true,
      });
    }
    entry.validator ??= compileValidator(entry.tool.parameters);
    const checked = checkArgs(entry.tool.parameters, entry.validator, call);
    if (typeof checked === 'string') return this.#message(call, { content: checked, isError: true });
    let info: ToolCallInfo = { toolCallId: call.id, name: call.name, args: checked };
    try {
      const before = await this.#options.beforeToolCall?.(info, ctx);
      if (before && 'block' in before) {
        return this.#message(call, { content: `Tool call blocked: ${before.block}`, isError: true });
      }
      if (before && 'args' in before) info = { ...info, args: before.args };
    } catch (err) {
      return this.#message(call, { content: `Tool call blocked: ${errorMessage(err)}`, isError: true });
    }
    let output: ToolOutput;
    try {
      output = await untilAborted(entry.tool.execute(info.args, ctx, signal), signal, call.name);
    } catch (err) {
      output = { content: `Tool '${call.name}' failed: ${errorMessage(err)}`, isError: true };
    }
    try {
      output = (await this.#options.afterToolCall?.(info, output, ctx)) ?? output;
    } catch {
      // An observer's failure must not change what the model sees.
    }
    return this.#message(call, output);
  }

  #message(call: ToolCallPart, output: ToolOutput): AgentToolResultMessage {
    const raw = typeof output.content === 'string' ? output.content : safeJson(output.content);
    const { maxChars, secrets } = this.#options;
    const text = sanitizeToolText(raw, {
      maxChars,
      secrets: typeof secrets === 'function' ? secrets() : secrets,
    });
    return {
      role: 'toolResult',
      toolCallId: call.id,
      toolName: call.name,
      content: [{ type: 'text', text }],
      isError: output.isError === true,
      timestamp: this.#options.now(),
    };
  }
}

/** How long a tool may take to wind down after the run is aborted before the run stops waiting for it. */
export const TOOL_ABORT_GRACE_MS = 2000;

/**
 * The tool's output; once the run is aborted, the tool gets TOOL_ABORT_GRACE_MS to finish (a tool that
 * honours the signal returns what it has), then an error output is returned without waiting any longer:
 * the run, and its session's lane, are released even when a tool ignores the signal. Such a tool runs on
 * unobserved; its late result or failure is dropped.
 */
function untilAborted(work: Promise<ToolOutput>, signal: AbortSignal, name: string): Promise<ToolOutput> {
  return new Promise<ToolOutput>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const giveUp = () => {
      work.catch(() => undefined);
      resolve({
        content: `Tool '${name}' was stopped: the run was aborted (${abortReason(signal)}) and the tool did not finish within ${TOOL_ABORT_GRACE_MS} ms.`,
        isError: true,
      });
    };
    const onAbort = () => {
      timer = setTimeout(giveUp, TOOL_ABORT_GRACE_MS);
    };
    const settle = () => {
      signal.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (out) => {
        settle();
        resolve(out);
      },
      (err: unknown) => {
        settle();
        reject(err);
      },
    );
  });
}

function abortReason(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  if (typeof r === 'string') return r;
  return r instanceof Error ? r.message : 'aborted';
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2) ?? '';
  } catch (err) {
    return `(unserializable tool output: ${errorMessage(err)})`;
  }
}

/** Parsed, defaulted and validated arguments, or the message telling the model what to fix. */
function checkArgs(
  schema: TSchema,
  validator: Validator<unknown>,
  call: ToolCallPart,
): Record<string, unknown> | string {
  if (typeof call.arguments === 'string') {
    const shown = call.arguments.length > 200 ? `${call.arguments.slice(0, 200)}…` : call.arguments;
    return `Invalid arguments for tool '${call.name}': expected a JSON object, got ${JSON.stringify(shown)}. Call the tool again with a JSON object matching its schema.`;
  }
  const args = Value.Default(schema, structuredClone(call.arguments)) as Record<string, unknown>;
  if (validator.check(args)) return args;
  return `Invalid arguments for tool '${call.name}': ${formatIssues(validator.issues(args))}. Fix the arguments and call the tool again.`;
}
