import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pc from 'picocolors';
import { hashConfigText, resolvePaths, type StatePaths, writeConfigFile } from '../../config/index.js';
import { CarapaceError, errnoCode, writeFileAtomic } from '../../shared/index.js';
import { type CliContext, usageError } from '../context.js';
import { webHost } from '../format.js';
import { connectHost } from '../local-state.js';
import { answersFromFlags, type OnboardAnswers, type OnboardFlags } from './onboard-answers.js';

/** Refuse to replace an existing config without `force`, before anything is written. */
async function checkExisting(paths: StatePaths, force: boolean): Promise<string | undefined> {
  const text = await readFile(paths.configPath, 'utf8').catch((err: unknown) => {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  });
  if (text !== undefined && !force) {
    throw new CarapaceError(
      'CONFIG_EXISTS',
      `a config already exists at ${paths.configPath}: pass --force to replace it (the current one is kept as ${paths.configPath}.bak), or change it with \`carapace config set\``,
      { details: { path: paths.configPath } },
    );
  }
  return text;
}

/** What onboarding did, for the summary. */
export interface OnboardResult {
  configPath: string;
  backupPath: string | undefined;
  tokenPath: string | undefined;
  tokenCreated: boolean;
  passwordPath: string | undefined;
  workspace: string;
  seeded: string[];
}

/**
 * Write the config (0600, validated, backup of an old one), the gateway secret (token file, or a password
 * file the config references: secrets are referenced, not stored, in carapace.json) and the workspace.
 */
export async function applyOnboarding(paths: StatePaths, answers: OnboardAnswers): Promise<OnboardResult> {
  const existing = await checkExisting(paths, answers.force);
  const gatewayModule = await import('../../gateway/index.js');
  await mkdir(paths.stateDir, { recursive: true, mode: 0o700 });
  await mkdir(paths.credentialsDir, { recursive: true, mode: 0o700 });
  await chmod(paths.credentialsDir, 0o700);
  let passwordPath: string | undefined;
  const auth: Record<string, unknown> = { mode: answers.auth };
  if (answers.auth === 'password' && answers.password) {
    passwordPath = join(paths.credentialsDir, 'gateway-password');
    await writeFileAtomic(passwordPath, `${answers.password}\n`, { mode: 0o600 });
    auth.password = { source: 'file', path: passwordPath };
  }
  const config = {
    version: 1,
    gateway: { port: answers.port, bind: answers.bind, auth },
    agents: { defaults: { workspace: answers.workspace } },
  };
  const written = await writeConfigFile(paths, config, { baseHash: hashConfigText(existing ?? '') });
  let tokenCreated = false;
  if (answers.auth === 'token') tokenCreated = (await gatewayModule.ensureGatewayToken(paths)).generated;
  const seeded = await gatewayModule.seedWorkspace(answers.workspace);
  return {
    configPath: paths.configPath,
    backupPath: written.backupPath,
    tokenPath: answers.auth === 'token' ? paths.tokenPath : undefined,
    tokenCreated,
    passwordPath,
    workspace: answers.workspace,
    seeded,
  };
}

/** A path as a shell word: as is when safe, else in single quotes. */
function shellQuote(word: string): string {
  return /^[\w./~@%+=:,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The closing text: what was written where, and how to start. Never prints a secret. */
export function summary(
  result: OnboardResult,
  answers: OnboardAnswers,
  stateDir: string | undefined,
): string {
  const host = webHost(connectHost(answers.bind).replace(/^\[|\]$/g, ''));
  const dirFlag = stateDir ? ` --state-dir ${shellQuote(stateDir)}` : '';
  const lines = [
    `${pc.green('Carapace is set up.')}`,
    `  config     ${result.configPath}${result.backupPath ? pc.dim(` (previous: ${result.backupPath})`) : ''}`,
  ];
  if (result.tokenPath) {
    const note = result.tokenCreated ? 'new token, keep it secret' : 'existing token kept';
    lines.push(`  token      ${result.tokenPath} ${pc.dim(`(${note})`)}`);
  }
  if (result.passwordPath)
    lines.push(`  password   ${result.passwordPath} ${pc.dim('(referenced by the config)')}`);
  const seeded = result.seeded.length ? `created ${result.seeded.join(', ')}` : 'existing files kept';
  lines.push(`  workspace  ${result.workspace} ${pc.dim(`(${seeded})`)}`);
  lines.push(
    '',
    'Next steps:',
    `  1. Start the gateway:  ${pc.cyan(`carapace gateway run${dirFlag}`)}`,
    `  2. Open WebChat:       ${pc.cyan(`http://${host}:${answers.port}/`)}`,
    `  3. Check on it:        ${pc.cyan(`carapace health${dirFlag}`)}`,
  );
  if (result.tokenPath) {
    lines.push(`  WebChat and remote clients ask for the gateway token: it is in ${result.tokenPath}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `carapace onboard`: interactive on a terminal, or from flags with `--non-interactive`. */
export async function onboard(ctx: CliContext, flags: OnboardFlags): Promise<number> {
  const paths = resolvePaths({ stateDir: flags.stateDir });
  let answers: OnboardAnswers;
  if (flags.nonInteractive) {
    answers = answersFromFlags(flags, paths);
  } else {
    if (!process.stdin.isTTY) {
      throw usageError(
        'onboard needs a terminal to ask its questions: run it with --non-interactive and flags',
      );
    }
    const { askOnboarding } = await import('./onboard-prompts.js');
    const asked = await askOnboarding(flags, paths);
    if (!asked) return 1;
    answers = asked;
  }
  const result = await applyOnboarding(paths, answers);
  ctx.io.out(summary(result, answers, flags.stateDir === undefined ? undefined : paths.stateDir));
  return 0;
}
