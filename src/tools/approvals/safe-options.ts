/**
 * Options that turn an otherwise read-only program into one that writes files or runs other programs.
 * An allowlist entry for the program (`find`, `git log`, `sort`) does not cover them; an exact entry
 * approved by an operator does.
 */

interface DeniedOptions {
  /** Short option letters; matched anywhere in a `-abc` cluster. */
  short?: string;
  /** Long options (without `--`); any prefix of one is denied too (GNU getopt accepts abbreviations). */
  long?: readonly string[];
  /** Whole words denied as they are (`find -exec`). */
  words?: readonly string[];
  /** Under an entry for the bare program, options before the first operand (`git -c x=y log`) are denied. */
  leadingOptions?: boolean;
}

const GIT_LONG = [
  'output',
  'ext-diff',
  'textconv',
  'exec-path',
  'config-env',
  'upload-pack',
  'receive-pack',
  'exec',
  'open-files-in-pager',
  'paginate',
];

/** Per program (by name): the options refused under a prefix entry. */
export const DENIED_OPTIONS: Readonly<Record<string, DeniedOptions>> = {
  find: {
    words: ['-exec', '-execdir', '-ok', '-okdir', '-delete', '-fprint', '-fprint0', '-fprintf', '-fls'],
  },
  git: { short: 'O', long: GIT_LONG, leadingOptions: true },
  sort: { short: 'o', long: ['output', 'compress-program'] },
  date: { short: 's', long: ['set'] },
  sed: { short: 'i', long: ['in-place'] },
  tar: {
    short: 'IF',
    long: [
      'to-command',
      'use-compress-program',
      'checkpoint-action',
      'info-script',
      'new-volume-script',
      'rsh-command',
    ],
  },
  rsync: { short: 'e', long: ['rsh', 'rsync-path'] },
  zip: { short: 'T', long: ['unzip-command'] },
  curl: { short: 'oOKT', long: ['output', 'remote-name', 'config', 'upload-file', 'output-dir'] },
  wget: {
    short: 'oOeia',
    long: ['output-document', 'output-file', 'execute', 'input-file', 'append-output'],
  },
  man: { short: 'HP', long: ['html', 'pager'] },
};

/** Programs that run code given to them; a bare entry covers only `prog <script-file> [args…]`. */
const INTERPRETERS =
  /^(python[0-9.]*|pypy[0-9.]*|node|nodejs|deno|bun|perl[0-9.]*|ruby[0-9.]*|irb|php[0-9.]*|lua[0-9.]*|luajit|tclsh[0-9.]*|wish|R|Rscript|julia|sh|bash|dash|zsh|ksh|mksh|fish|csh|tcsh|pwsh|osascript|groovy|jshell)$/;

/** True for a program that runs source code (python, node, perl, ruby, php, lua, shells …). */
export function isInterpreter(name: string): boolean {
  return INTERPRETERS.test(name);
}

/**
 * Why `interp args…` is not "run a script file" (inline code with `-c`/`-e`/`-r`, code from stdin, any
 * option), or undefined when it is.
 */
export function interpreterInlineReason(args: readonly string[]): string | undefined {
  const first = args[0];
  if (first === undefined) return 'reads code from stdin';
  if (first === '-') return 'reads code from stdin';
  if (first.startsWith('-')) return `option ${first} (inline code or interpreter flags)`;
  return undefined;
}

/**
 * The first denied option in `args` for program `name`, or undefined. `--` ends option parsing for the
 * getopt-style checks; `words` apply everywhere (find's expressions come after its paths). `bareEntry`:
 * the entry that matched names only the program, so `args` start right after it.
 */
export function deniedOption(name: string, args: readonly string[], bareEntry = false): string | undefined {
  const rule = DENIED_OPTIONS[name];
  if (!rule) return undefined;
  if (bareEntry && rule.leadingOptions && args[0]?.startsWith('-'))
    return `${args[0]} (before the subcommand)`;
  let options = true;
  for (const arg of args) {
    if (rule.words?.includes(arg)) return arg;
    if (!options) continue;
    if (arg === '--') {
      options = false;
      continue;
    }
    if (arg.startsWith('--') && rule.long) {
      const opt = arg.slice(2).split('=')[0]!;
      const hit = rule.long.find((l) => l.startsWith(opt));
      if (hit) return `${arg} (--${hit})`;
    } else if (/^-[^-]/.test(arg) && rule.short && !rule.words) {
      for (const ch of arg.slice(1)) if (rule.short.includes(ch)) return `${arg} (-${ch})`;
    }
  }
  return undefined;
}
