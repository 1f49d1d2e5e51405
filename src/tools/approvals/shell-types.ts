/**
 * The shapes the shell-command parser produces. A command string becomes a list of pipelines of simple
 * commands; anything the parser cannot reduce to static argv is recorded as a `ShellFlag`.
 */

/** Why a command (or part of it) is dynamic or unsupported, and so can never match an allowlist entry. */
export type ShellFlagCode =
  | 'command-substitution'
  | 'backtick'
  | 'variable'
  | 'arithmetic'
  | 'process-substitution'
  | 'glob'
  | 'tilde'
  | 'brace'
  | 'subshell'
  | 'background'
  | 'assignment'
  | 'heredoc-expansion'
  | 'keyword'
  | 'redirect'
  | 'control-char'
  | 'syntax';

export interface ShellFlag {
  code: ShellFlagCode;
  /** The source text (or a short description) that raised the flag. */
  detail: string;
}

export type RedirectOp = '<' | '>' | '>>' | '>&' | '<&' | '&>' | '&>>' | '<<' | '<<-' | '<<<';

export interface Redirect {
  /** The file descriptor redirected (0 for input ops, 1 for output ops unless written, e.g. `2>`). */
  fd: number;
  op: RedirectOp;
  /** The target word after quote removal; for `<<`/`<<-` the here-document body; for `<<<` the word. */
  target: string;
}

export interface SimpleCommand {
  /** Words after quote removal. A word with a flag keeps its source text for display. */
  argv: string[];
  /** `NAME=value` prefixes (always flagged). */
  assignments: string[];
  redirects: Redirect[];
  flags: ShellFlag[];
}

/** How a list entry runs relative to the previous one: always, if it succeeded, if it failed. */
export type ListConnector = ';' | '&&' | '||';

export interface ListEntry {
  connector: ListConnector;
  /** Commands joined by `|`. */
  pipeline: SimpleCommand[];
}

export interface ParsedShell {
  source: string;
  list: ListEntry[];
  /** Every flag found anywhere in the command; empty means the whole command is static. */
  flags: ShellFlag[];
}
