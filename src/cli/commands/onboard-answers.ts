import { isIP } from 'node:net';
import { resolve } from 'node:path';
import type { StatePaths } from '../../config/index.js';
import { usageError } from '../context.js';
import { DEFAULT_GATEWAY_PORT } from '../local-state.js';

/** Flags of `carapace onboard`. */
export interface OnboardFlags {
  nonInteractive?: boolean;
  port?: number;
  bind?: string;
  auth?: 'token' | 'password';
  password?: string;
  workspace?: string;
  stateDir?: string;
  force?: boolean;
}

/** Everything onboarding decides; the prompts and the flags both produce one. */
export interface OnboardAnswers {
  port: number;
  bind: string;
  auth: 'token' | 'password';
  password: string | undefined;
  workspace: string;
  /** Replace an existing config (a backup is kept). */
  force: boolean;
}

/** The smallest password onboarding accepts. */
export const MIN_PASSWORD_LENGTH = 8;

/** Why a `bind` value is not usable, or undefined when it is. */
export function bindProblem(bind: string): string | undefined {
  if (['loopback', 'lan', 'all'].includes(bind) || isIP(bind) !== 0) return undefined;
  return `'${bind}' is not a bind address: use loopback, lan, all or an IP address`;
}

/** Why a password is not usable, or undefined when it is. */
export function passwordProblem(password: string | undefined): string | undefined {
  if (!password) return 'a password is required with --auth password (pass --password)';
  if (password.length < MIN_PASSWORD_LENGTH)
    return `the password needs at least ${MIN_PASSWORD_LENGTH} characters`;
  return undefined;
}

/** Answers from flags alone (`--non-interactive`); usage errors for anything missing or wrong. */
export function answersFromFlags(flags: OnboardFlags, paths: StatePaths): OnboardAnswers {
  const bind = flags.bind ?? 'loopback';
  const bindError = bindProblem(bind);
  if (bindError) throw usageError(`--bind: ${bindError}`);
  const auth = flags.auth ?? 'token';
  if (auth === 'password') {
    const problem = passwordProblem(flags.password);
    if (problem) throw usageError(problem);
  } else if (flags.password) {
    throw usageError('--password needs --auth password');
  }
  return {
    port: flags.port ?? DEFAULT_GATEWAY_PORT,
    bind,
    auth,
    password: auth === 'password' ? flags.password : undefined,
    workspace: resolve(flags.workspace ?? paths.workspaceDir),
    force: flags.force ?? false,
  };
}
