import { ShellLexer, type WordToken } from './shell-lex.js';
import type {
  ListConnector,
  ListEntry,
  ParsedShell,
  Redirect,
  RedirectOp,
  ShellFlag,
  SimpleCommand,
} from './shell-types.js';

/** Longer command strings are refused outright (flagged as a syntax problem). */
export const MAX_COMMAND_LENGTH = 64 * 1024;

/** Reserved words and grammar the parser does not execute itself: any of them makes a command dynamic. */
const KEYWORDS = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'do',
  'done',
  'case',
  'esac',
  'while',
  'until',
  'for',
  'in',
  'function',
  'select',
  'time',
  'coproc',
  '{',
  '}',
  '[[',
  ']]',
  '!',
]);

const REDIRECT_OPS = new Set<string>([
  '<',
  '>',
  '>>',
  '>|',
  '<>',
  '>&',
  '<&',
  '&>',
  '&>>',
  '<<',
  '<<-',
  '<<<',
]);

interface ParseState {
  list: ListEntry[];
  connector: ListConnector;
  pipeline: SimpleCommand[];
  cmd: SimpleCommand | null;
  /** An operator that needs a command after it (`|`, `&&`, `||`). */
  dangling: string | null;
  flags: ShellFlag[];
}

function newCommand(): SimpleCommand {
  return { argv: [], assignments: [], redirects: [], flags: [] };
}

/**
 * Parse a command string the way POSIX sh would split it, without expanding anything. The result lists
 * every simple command with its argv, assignments and redirections; `flags` is empty only when the whole
 * string is static (no substitutions, variables, globs, `~`, subshells, keywords, background jobs,
 * assignments, unsupported redirections or syntax errors).
 */
export function parseShell(source: string): ParsedShell {
  const st: ParseState = { list: [], connector: ';', pipeline: [], cmd: null, dangling: null, flags: [] };
  if (source.length > MAX_COMMAND_LENGTH) {
    return { source, list: [], flags: [{ code: 'syntax', detail: `longer than ${MAX_COMMAND_LENGTH}` }] };
  }
  if (source.includes('\0')) return { source, list: [], flags: [{ code: 'syntax', detail: 'NUL byte' }] };
  const lex = new ShellLexer(source);
  for (;;) {
    const tok = lex.next();
    if (tok.kind === 'eof') break;
    if (tok.kind === 'newline') {
      if (st.dangling) continue;
      endPipeline(st, ';', false);
      continue;
    }
    if (tok.kind === 'word') {
      if (tok.ioNumber) {
        const opTok = lex.next();
        if (opTok.kind === 'op' && REDIRECT_OPS.has(opTok.op)) {
          redirect(st, lex, Number(tok.text), opTok.op);
          continue;
        }
        addWord(st, tok);
        continue;
      }
      addWord(st, tok);
      continue;
    }
    const op = tok.op;
    if (REDIRECT_OPS.has(op)) redirect(st, lex, undefined, op);
    else if (op === '|' || op === '|&') {
      if (op === '|&') flag(st, 'redirect', '|&');
      if (!finishCommand(st)) flag(st, 'syntax', `'${op}' without a command before it`);
      st.dangling = op;
    } else if (op === '&&' || op === '||') {
      endPipeline(st, op, true);
    } else if (op === ';' || op === '&') {
      if (op === '&') flag(st, 'background', '&');
      endPipeline(st, ';', true);
    } else if (op === '(' || op === ')') {
      flag(st, 'subshell', op);
    } else {
      flag(st, 'syntax', op);
    }
  }
  if (st.dangling) flag(st, 'syntax', `'${st.dangling}' without a command after it`);
  endPipeline(st, ';', false);
  const flags = [...st.flags, ...lex.looseFlags];
  for (const entry of st.list) for (const c of entry.pipeline) flags.push(...c.flags);
  return { source, list: st.list, flags };
}

function flag(st: ParseState, code: ShellFlag['code'], detail: string): void {
  st.flags.push({ code, detail });
}

function current(st: ParseState): SimpleCommand {
  st.cmd ??= newCommand();
  st.dangling = null;
  return st.cmd;
}

function addWord(st: ParseState, tok: WordToken): void {
  const cmd = current(st);
  cmd.flags.push(...tok.flags);
  if (cmd.argv.length === 0 && tok.assignName !== undefined) {
    cmd.assignments.push(tok.text);
    cmd.flags.push({ code: 'assignment', detail: tok.text });
    return;
  }
  if (cmd.argv.length === 0 && !tok.quoted && KEYWORDS.has(tok.text)) {
    cmd.flags.push({ code: 'keyword', detail: tok.text });
  }
  cmd.argv.push(tok.text);
}

function finishCommand(st: ParseState): boolean {
  const cmd = st.cmd;
  st.cmd = null;
  if (!cmd) return false;
  if (cmd.argv.length === 0 && cmd.assignments.length === 0) {
    cmd.flags.push({ code: 'syntax', detail: 'redirection without a command' });
  }
  st.pipeline.push(cmd);
  return true;
}

/** Close the current pipeline; `op` is how the next one is joined. */
function endPipeline(st: ParseState, op: ListConnector, needsBefore: boolean): void {
  const hadCommand = finishCommand(st);
  if (st.dangling === '|' || st.dangling === '|&') {
    if (needsBefore) flag(st, 'syntax', `'${op}' right after '|'`);
  }
  if (st.pipeline.length > 0) {
    st.list.push({ connector: st.connector, pipeline: st.pipeline });
    st.pipeline = [];
  } else if (needsBefore && !hadCommand) {
    flag(st, 'syntax', `'${op}' without a command before it`);
  }
  st.connector = op === ';' ? ';' : op;
  st.dangling = op === ';' ? null : op;
}

function redirect(st: ParseState, lex: ShellLexer, fd: number | undefined, rawOp: string): void {
  const cmd = current(st);
  const op = (rawOp === '>|' ? '>' : rawOp) as RedirectOp | '<>';
  const defaultFd = op.startsWith('<') ? 0 : 1;
  const target = lex.next();
  if (target.kind !== 'word') {
    cmd.flags.push({ code: 'syntax', detail: `'${rawOp}' without a target` });
    return;
  }
  cmd.flags.push(...target.flags);
  if (op === '<>' || (fd !== undefined && fd > 2)) {
    cmd.flags.push({ code: 'redirect', detail: `${fd ?? ''}${rawOp}${target.text}` });
  }
  if ((op === '>&' || op === '<&') && !/^[0-2]$/.test(target.text)) {
    cmd.flags.push({ code: 'redirect', detail: `${rawOp}${target.text}` });
  }
  const r: Redirect = { fd: fd ?? defaultFd, op: op === '<>' ? '<' : op, target: target.text };
  cmd.redirects.push(r);
  if (op === '<<' || op === '<<-') {
    const delimiter = target.text;
    lex.expectHeredoc({
      delimiter,
      stripTabs: op === '<<-',
      quoted: target.quoted,
      done: (body, flags) => {
        r.target = body;
        cmd.flags.push(...flags);
      },
    });
  }
}
