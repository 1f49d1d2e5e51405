import { scrubSecrets } from '../models/index.js';

/** Default cap on one tool result sent to the model. */
export const DEFAULT_TOOL_RESULT_MAX_CHARS = 50_000;

// ANSI escape sequences (CSI … final byte, OSC … BEL/ST) and other C0/C1 controls except \t and \n.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const MARKER_RESERVE = 120;

export interface SanitizeOptions {
  maxChars?: number;
  /** Strings that must never reach the model (API keys, tokens); replaced by [REDACTED]. */
  secrets?: readonly string[];
}

/**
 * Make tool output safe to send to the model and to store: well-formed Unicode, no ANSI escapes or
 * control characters (tabs and newlines stay, `\r\n` becomes `\n`), known secrets masked, and at most
 * `maxChars` characters with a visible marker saying how much was cut.
 */
export function sanitizeToolText(text: string, options: SanitizeOptions = {}): string {
  const maxChars = options.maxChars ?? DEFAULT_TOOL_RESULT_MAX_CHARS;
  let out = text
    .replace(LONE_SURROGATE, '\uFFFD')
    .replace(/\r\n?/g, '\n')
    .replace(ANSI, '')
    .replace(CONTROL, '');
  if (options.secrets?.length) out = scrubSecrets(out, options.secrets);
  if (out.length <= maxChars) return out;
  const kept = Math.max(0, maxChars - MARKER_RESERVE);
  const n = (x: number) => x.toLocaleString('en-US');
  return `${out.slice(0, kept)}\n…[truncated: ${n(out.length)} characters in total, showing the first ${n(kept)}]`;
}
