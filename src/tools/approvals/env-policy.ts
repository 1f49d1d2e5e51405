import { isAbsolute, relative, resolve } from 'node:path';

/**
 * Environment variables that make a program load or run code it was not asked to run (dynamic-loader
 * hooks, interpreter start-up files, shell hooks, helper commands). Never passed to a child, and an
 * assignment of one in a command refuses the command.
 */
export const ENV_INJECTION_NAMES: readonly string[] = [
  'LD_PRELOAD',
  'LD_LIBRARY_PATH',
  'LD_AUDIT',
  'LD_DEBUG_OUTPUT',
  'LD_PROFILE',
  'LD_PROFILE_OUTPUT',
  'LD_ORIGIN_PATH',
  'GCONV_PATH',
  'GETCONF_DIR',
  'HOSTALIASES',
  'LOCPATH',
  'MALLOC_TRACE',
  'NLSPATH',
  'RESOLV_HOST_CONF',
  'NODE_OPTIONS',
  'NODE_PATH',
  'BASH_ENV',
  'ENV',
  'ZDOTDIR',
  'SHELLOPTS',
  'BASHOPTS',
  'PS4',
  'PROMPT_COMMAND',
  'IFS',
  'CDPATH',
  'GLOBIGNORE',
  'PYTHONSTARTUP',
  'PYTHONPATH',
  'PYTHONHOME',
  'PYTHONINSPECT',
  'PYTHONUSERBASE',
  'PERL5OPT',
  'PERL5LIB',
  'PERLLIB',
  'PERL5DB',
  'RUBYOPT',
  'RUBYLIB',
  'JAVA_TOOL_OPTIONS',
  '_JAVA_OPTIONS',
  'JDK_JAVA_OPTIONS',
  'CLASSPATH',
  'GIT_SSH_COMMAND',
  'GIT_SSH',
  'GIT_EXEC_PATH',
  'GIT_EXTERNAL_DIFF',
  'GIT_PAGER',
  'GIT_EDITOR',
  'GIT_ASKPASS',
  'GIT_PROXY_COMMAND',
  'GIT_TEMPLATE_DIR',
  'SSH_ASKPASS',
  'PAGER',
  'EDITOR',
  'VISUAL',
  'LESSOPEN',
  'LESSCLOSE',
  'MANPAGER',
  'BROWSER',
  'LUA_PATH',
  'LUA_CPATH',
  'PHPRC',
  'PHP_INI_SCAN_DIR',
  'OPENSSL_CONF',
  'OPENSSL_ENGINES',
  'SSLKEYLOGFILE',
  'TCLLIBPATH',
  'R_PROFILE',
  'R_PROFILE_USER',
  'PATH',
];

/** Name prefixes with the same effect (`DYLD_INSERT_LIBRARIES`, exported bash functions, git config). */
export const ENV_INJECTION_PREFIXES: readonly string[] = [
  'DYLD_',
  'LD_',
  'BASH_FUNC_',
  'GIT_CONFIG',
  'LUA_INIT',
  'NPM_CONFIG_',
];

const NAMES = new Set(ENV_INJECTION_NAMES);

/** True when setting `name` could inject code into a child (case-insensitive for the npm prefix). */
export function isEnvInjectionName(name: string): boolean {
  if (NAMES.has(name)) return true;
  const upper = name.toUpperCase();
  return ENV_INJECTION_PREFIXES.some((p) => upper.startsWith(p));
}

/** Variables a child inherits from the gateway's environment unless the caller names others. */
export const DEFAULT_INHERITED_ENV: readonly string[] = [
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'LC_ALL',
  'LC_CTYPE',
  'LC_MESSAGES',
  'LC_COLLATE',
  'LC_NUMERIC',
  'LC_TIME',
  'TERM',
  'TZ',
  'TMPDIR',
  'NO_COLOR',
];

/**
 * The search path a child gets and programs are resolved through: absolute entries only (no `.`, no empty
 * entry, nothing relative), none inside the workspace (the agent can write there), no duplicates.
 */
export function sanitizePathDirs(pathValue: string | undefined, workspaceDir: string): string[] {
  const out: string[] = [];
  for (const dir of (pathValue ?? '').split(':')) {
    if (dir === '' || !isAbsolute(dir)) continue;
    const abs = resolve(dir);
    if (isInside(abs, workspaceDir)) continue;
    if (!out.includes(abs)) out.push(abs);
  }
  return out;
}

/**
 * Git settings every child gets as command-line config (`GIT_CONFIG_COUNT`/`KEY_n`/`VALUE_n`, which wins
 * over every config file): a directory the agent filled with `HEAD`, `config`, `objects/` is not taken for
 * a bare repository (its config would be read), and no `core.fsmonitor` command runs. The file tools
 * refuse writes under `.git` and redirections there need approval; this covers what they cannot.
 */
export const GIT_SAFETY_CONFIG: readonly (readonly [string, string])[] = [
  ['safe.bareRepository', 'explicit'],
  ['core.fsmonitor', 'false'],
];

/**
 * The environment of a child: only the inherited names (plus PATH, rebuilt from `pathDirs`), never an
 * injection name, whatever the caller passed; plus GIT_SAFETY_CONFIG.
 */
export function buildChildEnv(
  base: Readonly<Record<string, string | undefined>>,
  pathDirs: readonly string[],
  inherit: readonly string[] = DEFAULT_INHERITED_ENV,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of inherit) {
    const value = base[name];
    if (value !== undefined && !isEnvInjectionName(name)) env[name] = value;
  }
  env.PATH = pathDirs.join(':');
  env.GIT_CONFIG_COUNT = String(GIT_SAFETY_CONFIG.length);
  GIT_SAFETY_CONFIG.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/** True when `child` is `dir` or below it (plain path comparison; callers pass real paths). */
export function isInside(child: string, dir: string): boolean {
  const rel = relative(dir, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}
