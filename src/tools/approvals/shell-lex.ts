import type { ShellFlag, ShellFlagCode } from './shell-types.js';

/**
 * The lexer of the shell-command parser: POSIX sh quoting (`'…'`, `"…"`, `\`), comments, operators and
 * here-documents. It never evaluates anything: `$…`, backticks, globs, `~` and braces are kept as source
 * text and flagged, so a caller can tell a static word from one the shell would rewrite.
 */

export interface WordToken {
  kind: 'word';
  text: string;
  flags: ShellFlag[];
  /** Any quoting or escaping was present (so a keyword or an assignment is not one). */
  quoted: boolean;
  /** `NAME` when the word has the shape of an assignment (`NAME=…`, name unquoted). */
  assignName?: string;
  /** All digits, unquoted, immediately followed by `<` or `>`: an IO number such as the `2` of `2>`. */
  ioNumber: boolean;
}

export interface OpToken {
  kind: 'op';
  op: string;
}

export interface NewlineToken {
  kind: 'newline';
}

export interface EofToken {
  kind: 'eof';
}

export type Token = WordToken | OpToken | NewlineToken | EofToken;

interface PendingHeredoc {
  delimiter: string;
  stripTabs: boolean;
  quoted: boolean;
  /** Called with the body once it has been read. */
  done: (body: string, flags: ShellFlag[]) => void;
}

const META = new Set([' ', '\t', '\n', ';', '&', '|', '<', '>', '(', ')']);
const GLOB = new Set(['*', '?', '[']);
const OPERATORS = [
  '&>>',
  '<<<',
  '<<-',
  '&&',
  '&>',
  '||',
  '|&',
  ';;',
  ';&',
  '<<',
  '<>',
  '<&',
  '>>',
  '>|',
  '>&',
  '&',
  '|',
  ';',
  '<',
  '>',
  '(',
  ')',
];
const NAME_CHAR = /[A-Za-z0-9_]/;
const NAME_START = /[A-Za-z_]/;

function isControl(c: string): boolean {
  const code = c.charCodeAt(0);
  return (code < 0x20 && c !== '\t' && c !== '\n') || code === 0x7f;
}

export class ShellLexer {
  private i = 0;
  private readonly pending: PendingHeredoc[] = [];
  /** Flags that belong to no single word (unterminated here-documents, stray characters). */
  readonly looseFlags: ShellFlag[] = [];

  constructor(private readonly src: string) {}

  /** Queue a here-document whose body starts after the next newline. */
  expectHeredoc(h: PendingHeredoc): void {
    this.pending.push(h);
  }

  next(): Token {
    for (;;) {
      while (this.i < this.src.length && (this.src[this.i] === ' ' || this.src[this.i] === '\t')) this.i++;
      if (this.i >= this.src.length) {
        this.failPendingHeredocs();
        return { kind: 'eof' };
      }
      const c = this.src[this.i]!;
      if (c === '#') {
        while (this.i < this.src.length && this.src[this.i] !== '\n') this.i++;
        continue;
      }
      if (c === '\\' && this.src[this.i + 1] === '\n') {
        this.i += 2;
        continue;
      }
      if (c === '\n') {
        this.i++;
        this.readHeredocBodies();
        return { kind: 'newline' };
      }
      if ((c === '<' || c === '>') && this.src[this.i + 1] === '(') return this.processSubstitution();
      const op = OPERATORS.find((o) => this.src.startsWith(o, this.i));
      if (op) {
        this.i += op.length;
        return { kind: 'op', op };
      }
      return this.word();
    }
  }

  private processSubstitution(): WordToken {
    const start = this.i;
    const flags: ShellFlag[] = [];
    this.i = this.skipBalanced(this.i + 1, flags);
    const text = this.src.slice(start, this.i);
    flags.push({ code: 'process-substitution', detail: text });
    return { kind: 'word', text, flags, quoted: false, ioNumber: false };
  }

  private word(): WordToken {
    const src = this.src;
    const flags: ShellFlag[] = [];
    const flag = (code: ShellFlagCode, detail: string) => flags.push({ code, detail });
    let text = '';
    let quoted = false;
    let nameSoFar = true;
    let assignName: string | undefined;
    while (this.i < src.length) {
      const c = src[this.i]!;
      if (META.has(c)) break;
      if (c === '\\') {
        const next = src[this.i + 1];
        if (next === undefined) {
          flag('syntax', 'trailing backslash');
          text += c;
          this.i++;
        } else if (next === '\n') {
          this.i += 2;
        } else {
          text += next;
          quoted = true;
          nameSoFar = false;
          this.i += 2;
        }
        continue;
      }
      if (c === "'") {
        const end = src.indexOf("'", this.i + 1);
        if (end < 0) {
          flag('syntax', 'unterminated single quote');
          text += src.slice(this.i + 1);
          this.i = src.length;
        } else {
          text += src.slice(this.i + 1, end);
          this.i = end + 1;
        }
        quoted = true;
        nameSoFar = false;
        continue;
      }
      if (c === '"') {
        text += this.doubleQuoted(flags);
        quoted = true;
        nameSoFar = false;
        continue;
      }
      if (c === '$') {
        text += this.dollar(false, flags);
        nameSoFar = false;
        continue;
      }
      if (c === '`') {
        text += this.backtick(flags);
        nameSoFar = false;
        continue;
      }
      if (isControl(c)) flag('control-char', `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
      else if (GLOB.has(c)) flag('glob', c);
      else if (c === '{' || c === '}') flag('brace', c);
      else if (c === '~' && text === '' && !quoted) flag('tilde', '~');
      if (c === '=' && nameSoFar && assignName === undefined && text.length > 0) {
        assignName = text;
        nameSoFar = false;
      } else if (!(text === '' ? NAME_START : NAME_CHAR).test(c)) {
        nameSoFar = false;
      }
      text += c;
      this.i++;
    }
    const ioNumber = !quoted && /^[0-9]+$/.test(text) && (src[this.i] === '<' || src[this.i] === '>');
    const token: WordToken = { kind: 'word', text, flags, quoted, ioNumber };
    if (assignName !== undefined) token.assignName = assignName;
    return token;
  }

  private doubleQuoted(flags: ShellFlag[]): string {
    const src = this.src;
    let text = '';
    this.i++;
    while (this.i < src.length) {
      const c = src[this.i]!;
      if (c === '"') {
        this.i++;
        return text;
      }
      if (c === '\\') {
        const next = src[this.i + 1];
        if (next === '$' || next === '`' || next === '"' || next === '\\') {
          text += next;
          this.i += 2;
        } else if (next === '\n') {
          this.i += 2;
        } else {
          text += c;
          this.i++;
        }
        continue;
      }
      if (c === '$') {
        text += this.dollar(true, flags);
        continue;
      }
      if (c === '`') {
        text += this.backtick(flags);
        continue;
      }
      if (isControl(c)) flags.push({ code: 'control-char', detail: `\\x${c.charCodeAt(0).toString(16)}` });
      text += c;
      this.i++;
    }
    flags.push({ code: 'syntax', detail: 'unterminated double quote' });
    return text;
  }

  /** A `$` at `this.i`: every form but a lone `$` is an expansion; returns the source text consumed. */
  private dollar(inDouble: boolean, flags: ShellFlag[]): string {
    const src = this.src;
    const start = this.i;
    const next = src[this.i + 1];
    if (next === undefined || next === ' ' || next === '\t' || next === '\n' || (inDouble && next === '"')) {
      this.i++;
      return '$';
    }
    if (next === '(') {
      const code = src[this.i + 2] === '(' ? 'arithmetic' : 'command-substitution';
      this.i = this.skipBalanced(this.i + 1, flags);
      flags.push({ code, detail: src.slice(start, this.i) });
      return src.slice(start, this.i);
    }
    if (next === '{') {
      this.i = this.skipBalanced(this.i + 1, flags);
      flags.push({ code: 'variable', detail: src.slice(start, this.i) });
      return src.slice(start, this.i);
    }
    this.i++;
    if (NAME_START.test(next)) {
      while (this.i < src.length && NAME_CHAR.test(src[this.i]!)) this.i++;
    } else if (/[0-9@*#?$!-]/.test(next)) {
      this.i++;
    }
    // `$'…'` and `$"…"` (bash quoting) and any other `$x` are treated as expansions too.
    flags.push({ code: 'variable', detail: src.slice(start, Math.max(this.i, start + 2)) });
    return src.slice(start, this.i);
  }

  private backtick(flags: ShellFlag[]): string {
    const src = this.src;
    const start = this.i;
    let j = this.i + 1;
    while (j < src.length && src[j] !== '`') j += src[j] === '\\' ? 2 : 1;
    if (j >= src.length) {
      flags.push({ code: 'syntax', detail: 'unterminated backtick' });
      this.i = src.length;
    } else {
      this.i = j + 1;
    }
    const text = src.slice(start, this.i);
    flags.push({ code: 'backtick', detail: text });
    return text;
  }

  /** From an opening `(` or `{` at `open`, the index after its match (quotes and nesting respected). */
  private skipBalanced(open: number, flags: ShellFlag[]): number {
    const src = this.src;
    const openCh = src[open]!;
    const closeCh = openCh === '(' ? ')' : '}';
    let depth = 0;
    let j = open;
    while (j < src.length) {
      const c = src[j]!;
      if (c === '\\') {
        j += 2;
        continue;
      }
      if (c === "'") {
        const end = src.indexOf("'", j + 1);
        j = end < 0 ? src.length : end + 1;
        continue;
      }
      if (c === '"') {
        j++;
        while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
        j++;
        continue;
      }
      if (c === openCh) depth++;
      else if (c === closeCh && --depth === 0) return j + 1;
      j++;
    }
    flags.push({ code: 'syntax', detail: `unterminated ${openCh}` });
    return src.length;
  }

  private readHeredocBodies(): void {
    const src = this.src;
    while (this.pending.length > 0) {
      const h = this.pending.shift()!;
      const lines: string[] = [];
      let found = false;
      while (this.i < src.length) {
        const nl = src.indexOf('\n', this.i);
        const raw = nl < 0 ? src.slice(this.i) : src.slice(this.i, nl);
        this.i = nl < 0 ? src.length : nl + 1;
        const line = h.stripTabs ? raw.replace(/^\t+/, '') : raw;
        if (line === h.delimiter) {
          found = true;
          break;
        }
        lines.push(line);
      }
      const body = lines.length > 0 ? `${lines.join('\n')}\n` : '';
      const flags: ShellFlag[] = [];
      if (!found) flags.push({ code: 'syntax', detail: `here-document '${h.delimiter}' is not terminated` });
      h.done(h.quoted ? body : this.expandHeredoc(body, flags), flags);
    }
  }

  /** An unquoted here-document: `\` escapes `$`, `` ` ``, `\` and newline; any `$` or `` ` `` is an expansion. */
  private expandHeredoc(body: string, flags: ShellFlag[]): string {
    let out = '';
    for (let j = 0; j < body.length; j++) {
      const c = body[j]!;
      const next = body[j + 1];
      if (c === '\\' && (next === '$' || next === '`' || next === '\\' || next === '\n')) {
        if (next !== '\n') out += next;
        j++;
        continue;
      }
      if (c === '$' || c === '`') flags.push({ code: 'heredoc-expansion', detail: body.slice(j, j + 16) });
      out += c;
    }
    return out;
  }

  private failPendingHeredocs(): void {
    for (const h of this.pending.splice(0)) {
      const flags: ShellFlag[] = [{ code: 'syntax', detail: `here-document '${h.delimiter}' has no body` }];
      h.done('', flags);
    }
  }
}
