import { type RegisterCommands, stateOptions } from './options.js';

/** `carapace skills list|info` (local: config, workspace and state dir; no gateway needed). */
export const registerSkillsCommands: RegisterCommands = (program, ctx, done) => {
  const skills = program
    .command('skills')
    .description('SKILL.md skills the agents can pick up (no gateway needed)');
  const load = () => import('./commands/skills.js');
  stateOptions(
    skills
      .command('list')
      .description(
        'every skill (workspace, managed, bundled), eligible or not, with the reason and its source',
      )
      .option('--agent <id>', 'agent whose workspace skills to include (default: the default agent)')
      .option('--json', 'print JSON'),
  ).action(async (opts) => done(await (await load()).skillsList(ctx, opts)));
  stateOptions(
    skills
      .command('info')
      .description('one skill: source, path, requirements, why it is (not) offered, its files')
      .argument('<name>', 'skill name, e.g. git-workflow')
      .option('--agent <id>', 'agent (default: the default agent)')
      .option('--json', 'print JSON'),
  ).action(async (name, opts) => done(await (await load()).skillsInfo(ctx, name, opts)));
};
