import { basename } from 'node:path';
import { isEnvInjectionName } from './env-policy.js';

/**
 * Wrappers: programs whose job is to run another program. Harmless ones are unwrapped (the allowlist is
 * checked against the program they run); the rest are refused (they change user, root, namespace or
 * argv source, so no entry for the inner program may cover them).
 */

/** Wrappers that can never be allowlisted through the program they run. */
export const REFUSED_WRAPPERS: readonly string[] = [
  'sudo',
  'doas',
  'su',
  'sg',
  'newgrp',
  'pkexec',
  'runuser',
  'setpriv',
  'chroot',
  'busybox',
  'toybox',
  'xargs',
  'parallel',
  'watch',
  'script',
  'expect',
  'strace',
  'ltrace',
  'gdb',
  'valgrind',
  'unshare',
  'nsenter',
  'chrt',
  'ionice',
  'taskset',
  'setsid',
  'flock',
  'time',
  'systemd-run',
  'ssh',
  'fakeroot',
  'fakechroot',
  'eatmydata',
  'firejail',
  'bwrap',
  'prlimit',
  'numactl',
  'catchsegv',
  'torify',
  'torsocks',
  'proxychains',
  'proxychains4',
  'unbuffer',
  'rlwrap',
  'faketime',
  'dbus-launch',
  'xvfb-run',
  'nix-shell',
  'npx',
  'pnpx',
  'bunx',
];

const REFUSED = new Set(REFUSED_WRAPPERS);

export type UnwrapResult =
  | {
      ok: true;
      /** The argv that is executed (shell builtins `exec`/`command` removed). */
      execArgv: string[];
      /** The program the wrappers finally run, with its arguments. */
      effective: string[];
      /** Wrapper programs in `execArgv` before the effective program (`nice`, `timeout`, …). */
      wrappers: string[];
    }
  | { ok: false; execArgv: string[]; code: 'wrapper' | 'builtin' | 'env-injection'; detail: string };

const NUMBER = /^[+-]?[0-9]+$/;
const DURATION = /^[0-9]+(\.[0-9]+)?[smhd]?$/;

/** Where the wrapped command starts in `args` (the wrapper's own argv without its name), or an error. */
type WrapperParse = { start: number } | { error: string };

function parseNice(args: readonly string[]): WrapperParse {
  let i = 0;
  const a = args[0];
  if (a === '-n' || a === '--adjustment') i = NUMBER.test(args[1] ?? '') ? 2 : -1;
  else if (a !== undefined && /^(-n|--adjustment=)[+-]?[0-9]+$/.test(a)) i = 1;
  else if (a !== undefined && /^-[0-9]+$/.test(a)) i = 1;
  if (i < 0) return { error: 'nice: unexpected option' };
  if (args[i] === '--') i++;
  return { start: i };
}

function parseTimeout(args: readonly string[]): WrapperParse {
  let i = 0;
  for (;;) {
    const a = args[i];
    if (a === undefined) return { error: 'timeout: no duration' };
    if (a === '--preserve-status' || a === '--foreground' || a === '-v' || a === '--verbose') i++;
    else if (a === '-s' || a === '-k' || a === '--signal' || a === '--kill-after') i += 2;
    else if (/^(--signal=|--kill-after=|-s.|-k.)/.test(a)) i++;
    else if (a === '--') i++;
    else if (a.startsWith('-')) return { error: `timeout: option ${a}` };
    else break;
  }
  if (!DURATION.test(args[i] ?? '')) return { error: 'timeout: bad duration' };
  return { start: i + 1 };
}

function parseStdbuf(args: readonly string[]): WrapperParse {
  let i = 0;
  for (;;) {
    const a = args[i];
    if (a === undefined) return { error: 'stdbuf: no command' };
    if (a === '-i' || a === '-o' || a === '-e') i += 2;
    else if (/^(-[ioe].|--(input|output|error)=.)/.test(a)) i++;
    else if (a === '--') return { start: i + 1 };
    else if (a.startsWith('-')) return { error: `stdbuf: option ${a}` };
    else return { start: i };
  }
}

function parseNohup(args: readonly string[]): WrapperParse {
  return { start: args[0] === '--' ? 1 : 0 };
}

/** `env [-0] [-u NAME]… [--] cmd`: `-i`, `-S`, `-C`, assignments and every other option are refused. */
function parseEnv(args: readonly string[]): WrapperParse & { injection?: string } {
  let i = 0;
  for (;;) {
    const a = args[i];
    if (a === undefined) return { start: i };
    if (a === '-u' || a === '--unset') {
      if (args[i + 1] === 'PATH') return { error: 'env: unsetting PATH' };
      i += 2;
    } else if (a === '-0' || a === '--null') i++;
    else if (a === '--') return { start: i + 1 };
    else if (a.startsWith('-')) return { error: `env: option ${a}` };
    else if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(a)) {
      const name = a.slice(0, a.indexOf('='));
      return isEnvInjectionName(name)
        ? { error: `env: sets ${name}`, injection: name }
        : { error: `env: sets ${name}` };
    } else return { start: i };
  }
}

const UNWRAP: Record<string, (args: readonly string[]) => WrapperParse & { injection?: string }> = {
  nice: parseNice,
  timeout: parseTimeout,
  stdbuf: parseStdbuf,
  nohup: parseNohup,
  env: parseEnv,
};

/** Remove shell builtins that only run the next word (`exec cmd`, `command cmd`) from the front. */
function stripBuiltins(argv: readonly string[]): { argv: string[]; error?: string } {
  let out = [...argv];
  while (out[0] === 'exec' || out[0] === 'command') {
    const next = out[1];
    if (next === undefined) return { argv: out, error: `${out[0]} without a command` };
    if (next === '--') {
      out = out.slice(2);
      continue;
    }
    if (next.startsWith('-')) return { argv: out, error: `${out[0]} ${next}` };
    out = out.slice(1);
  }
  return { argv: out };
}

/** Peel wrappers off `argv` until the effective program, or say why the command cannot be unwrapped. */
export function unwrapCommand(argv: readonly string[]): UnwrapResult {
  const stripped = stripBuiltins(argv);
  const execArgv = stripped.argv;
  if (stripped.error) return { ok: false, execArgv, code: 'builtin', detail: stripped.error };
  let effective = execArgv;
  const wrappers: string[] = [];
  for (let depth = 0; depth < 8; depth++) {
    const name = basename(effective[0] ?? '');
    if (REFUSED.has(name)) return { ok: false, execArgv, code: 'wrapper', detail: name };
    const parse = UNWRAP[name];
    if (!parse) return { ok: true, execArgv, effective, wrappers };
    const result = parse(effective.slice(1));
    if ('error' in result) {
      const code = result.injection ? 'env-injection' : 'wrapper';
      return { ok: false, execArgv, code, detail: result.error };
    }
    const inner = effective.slice(1 + result.start);
    if (inner.length === 0) return { ok: true, execArgv, effective, wrappers };
    wrappers.push(effective[0]!);
    effective = inner;
  }
  return { ok: false, execArgv, code: 'wrapper', detail: 'wrappers nested too deep' };
}
