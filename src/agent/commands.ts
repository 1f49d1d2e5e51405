import type { ThinkingLevel } from '../config/index.js';

/** The thinking levels `/think` accepts, and their aliases. */
const THINK_LEVELS: Record<string, ThinkingLevel> = {
  off: 'off',
  none: 'off',
  minimal: 'minimal',
  min: 'minimal',
  low: 'low',
  medium: 'medium',
  med: 'medium',
  high: 'high',
  max: 'high',
};

/**
 * A chat command typed as a message. `args` of `/model` and `/think` are optional: without one the
 * command shows the current setting. `invalid` is a known command used wrongly (`message` says how).
 */
export type ChatCommand =
  | { name: 'new' | 'reset'; message?: string }
  | { name: 'stop' }
  | { name: 'status' }
  | { name: 'compact'; instructions?: string }
  | { name: 'model'; ref?: string }
  | { name: 'think'; level?: ThinkingLevel }
  | { name: 'invalid'; command: string; message: string };

/** The command names parseChatCommand recognizes. */
export const CHAT_COMMANDS = ['new', 'reset', 'stop', 'status', 'compact', 'model', 'think'] as const;

/**
 * Parse a message as a chat command: `/name` at the very start (leading spaces allowed, case-insensitive,
 * a Telegram-style `@botname` suffix ignored), then its argument text. Undefined for ordinary messages
 * and unknown commands (those go to the model as text).
 * - `/new [message]`, `/reset [message]`: start a fresh session (then send `message`, if any);
 * - `/stop`: abort the running turn; `/status`: show the session state;
 * - `/compact [instructions]`: compact now, with optional focus for the summary;
 * - `/model [provider/model]`: switch (or show) the session's model;
 * - `/think [off|minimal|low|medium|high]`: set (or show) the thinking level.
 */
export function parseChatCommand(text: string): ChatCommand | undefined {
  const match = /^\s*\/([A-Za-z]+)(?:@[A-Za-z0-9_]+)?(?=\s|$)\s*([\s\S]*)$/.exec(text);
  if (!match) return undefined;
  const name = match[1]!.toLowerCase();
  const rest = match[2]!.trim();
  switch (name) {
    case 'new':
    case 'reset':
      return rest ? { name, message: rest } : { name };
    case 'stop':
    case 'status':
      return { name };
    case 'compact':
      return rest ? { name, instructions: rest } : { name };
    case 'model': {
      if (!rest) return { name };
      if (/\s/.test(rest) || !/^[^/]+\/.+$/.test(rest)) {
        return {
          name: 'invalid',
          command: name,
          message: `usage: /model <provider>/<model>, e.g. /model openai/gpt-4.1 (got '${rest}')`,
        };
      }
      return { name, ref: rest };
    }
    case 'think': {
      if (!rest) return { name };
      const level = THINK_LEVELS[rest.toLowerCase()];
      if (!level) {
        return {
          name: 'invalid',
          command: name,
          message: `unknown thinking level '${rest}': use off, minimal, low, medium or high`,
        };
      }
      return { name, level };
    }
    default:
      return undefined;
  }
}
