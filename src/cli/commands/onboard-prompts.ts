import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import * as p from '@clack/prompts';
import type { StatePaths } from '../../config/index.js';
import { DEFAULT_GATEWAY_PORT } from '../local-state.js';
import { bindProblem, type OnboardAnswers, type OnboardFlags, passwordProblem } from './onboard-answers.js';

/** Thrown out of a prompt chain when the user presses Ctrl-C / Esc. */
const CANCELLED = Symbol('cancelled');

function answer<T>(value: T): Exclude<T, symbol> {
  if (p.isCancel(value) || typeof value === 'symbol') throw CANCELLED;
  return value as Exclude<T, symbol>;
}

function portProblem(value: string | undefined): string | undefined {
  const n = Number(value);
  return /^\d+$/.test(value ?? '') && n >= 1 && n <= 65535
    ? undefined
    : 'enter a port number from 1 to 65535';
}

async function askBind(initial: string): Promise<string> {
  const preset = ['loopback', 'lan', 'all'].includes(initial) ? initial : 'custom';
  const choice = answer(
    await p.select({
      message: 'Where should the gateway listen?',
      initialValue: preset,
      options: [
        { value: 'loopback', label: 'This computer only (127.0.0.1)', hint: 'recommended' },
        { value: 'lan', label: 'Local network (0.0.0.0)', hint: 'other devices can connect; auth required' },
        { value: 'custom', label: 'A specific IP address' },
      ],
    }),
  );
  if (choice !== 'custom') return choice;
  return answer(
    await p.text({
      message: 'IP address to listen on',
      initialValue: preset === 'custom' ? initial : '',
      validate: (v) => bindProblem(v ?? ''),
    }),
  );
}

/**
 * Ask the onboarding questions (flags given on the command line become the initial answers).
 * Returns undefined when the user cancels or declines to replace an existing config.
 */
export async function askOnboarding(
  flags: OnboardFlags,
  paths: StatePaths,
): Promise<OnboardAnswers | undefined> {
  p.intro('Carapace setup');
  try {
    let force = flags.force ?? false;
    if (existsSync(paths.configPath) && !force) {
      force = answer(
        await p.confirm({
          message: `${paths.configPath} exists. Replace it? (the current one is kept as carapace.json.bak)`,
          initialValue: false,
        }),
      );
      if (!force) {
        p.outro('Nothing changed. Edit single settings with `carapace config set`.');
        return undefined;
      }
    }
    const port = Number(
      answer(
        await p.text({
          message: 'Gateway port',
          initialValue: String(flags.port ?? DEFAULT_GATEWAY_PORT),
          validate: portProblem,
        }),
      ),
    );
    const bind = await askBind(flags.bind ?? 'loopback');
    const auth = answer(
      await p.select({
        message: 'How should clients prove who they are?',
        initialValue: flags.auth ?? 'token',
        options: [
          {
            value: 'token' as const,
            label: 'A generated token',
            hint: 'recommended; stored 0600 in the state dir',
          },
          { value: 'password' as const, label: 'A password you choose' },
        ],
      }),
    );
    const password =
      auth === 'password'
        ? answer(await p.password({ message: 'Gateway password', validate: (v) => passwordProblem(v) }))
        : undefined;
    const workspace = answer(
      await p.text({
        message: 'Agent workspace folder (its notes, memory and files)',
        initialValue: flags.workspace ?? paths.workspaceDir,
        validate: (v) => (v?.trim() ? undefined : 'enter a folder'),
      }),
    );
    p.outro('Writing the setup …');
    return { port, bind, auth, password, workspace: resolve(workspace.trim()), force };
  } catch (err) {
    if (err !== CANCELLED) throw err;
    p.cancel('Setup cancelled; nothing was written.');
    return undefined;
  }
}
