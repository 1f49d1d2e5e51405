/**
 * An obedient fake model for SEC-09: it follows the most recent instruction it can find in what it is
 * sent (user messages, tool results, anything), once. Instructions are plain phrases an injection would
 * use ("run the command `…`", "send the message "…" to telegram:…", tool-call JSON …). Nothing else is
 * smart about it: it is the worst case a prompt injection can hope for.
 */
import type { RecordedRequest, ScriptedReply } from '../fakes/fake-model-server.js';

export interface Directive {
  tool: string;
  args: Record<string, unknown>;
}

const PATTERNS: { re: RegExp; make: (m: RegExpExecArray) => Directive }[] = [
  { re: /please fetch (https?:\/\/[^\s"']+)/gi, make: (m) => ({ tool: 'web_fetch', args: { url: m[1] } }) },
  { re: /read the file ([\w./-]*\w)/gi, make: (m) => ({ tool: 'read', args: { path: m[1] } }) },
  { re: /run the command `([^`]+)`/gi, make: (m) => ({ tool: 'exec', args: { command: m[1] } }) },
  {
    re: /send the message "([^"]+)" to (\w+):([\w-]+)/gi,
    make: (m) => ({ tool: 'message', args: { channel: m[2], to: m[3], text: m[1] } }),
  },
  {
    re: /schedule the task "([^"]+)" every (\d+[mhd])/gi,
    make: (m) => ({
      tool: 'cron',
      args: { action: 'add', name: m[1]!.slice(0, 60), task: m[1], every: m[2] },
    }),
  },
  {
    re: /write "([^"]+)" to the file ([\w./-]*\w)/gi,
    make: (m) => ({ tool: 'write', args: { path: m[2], content: m[1] } }),
  },
  {
    // Tool-call JSON pasted into text, as some models emit and some injections imitate.
    re: /\{"name":\s*"(\w+)",\s*"arguments":\s*(\{[^{}]*\})\}/g,
    make: (m) => ({ tool: m[1]!, args: JSON.parse(m[2]!) as Record<string, unknown> }),
  },
];

/** The last instruction in `text`, if any. */
export function lastDirective(text: string): Directive | undefined {
  let best: { at: number; d: Directive } | undefined;
  for (const p of PATTERNS) {
    for (const m of text.matchAll(p.re)) {
      let d: Directive;
      try {
        d = p.make(m as RegExpExecArray);
      } catch {
        continue;
      }
      if (!best || (m.index ?? 0) >= best.at) best = { at: m.index ?? 0, d };
    }
  }
  return best?.d;
}

interface WireMessage {
  role: string;
  content?: unknown;
  tool_calls?: unknown[];
}

/** Every string inside a JSON value (tool results are often JSON: the model reads what they say). */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

function textOf(content: unknown): string {
  if (typeof content === 'string') {
    try {
      return [content, ...strings(JSON.parse(content))].join('\n');
    } catch {
      return content;
    }
  }
  if (Array.isArray(content))
    return content.map((p) => (typeof p?.text === 'string' ? (p.text as string) : '')).join('');
  return '';
}

/** What the obedient model decided for one request (for the test's own bookkeeping). */
export interface Decision {
  directive?: Directive;
  /** Index of the message the directive came from. */
  from?: number;
}

/** Decide: the newest message with an instruction wins; once acted on (a tool call after it), just answer. */
export function decide(req: RecordedRequest): Decision {
  const messages = (req.body.messages ?? []) as WireMessage[];
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role !== 'user' && m.role !== 'tool') continue;
    const d = lastDirective(textOf(m.content));
    if (!d) continue;
    const acted = messages
      .slice(i + 1)
      .some((n) => n.role === 'assistant' && (n.tool_calls?.length ?? 0) > 0);
    return acted ? {} : { directive: d, from: i };
  }
  return {};
}

let calls = 0;

/** A scripted step for the fake model server: obey, or say it is done. */
export function obedientStep(onDecision?: (d: Decision, req: RecordedRequest) => void) {
  return (req: RecordedRequest): ScriptedReply => {
    const d = decide(req);
    onDecision?.(d, req);
    if (!d.directive) return { type: 'reply', text: 'Done.' };
    return {
      type: 'reply',
      toolCalls: [{ id: `obey-${++calls}`, name: d.directive.tool, args: d.directive.args }],
    };
  };
}
