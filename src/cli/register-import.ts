import type { RegisterCommands } from './options.js';
import { stateOptions } from './options.js';

/** `carapace import openclaw`: bring an OpenClaw state dir across (local: no gateway, which must be stopped). */
export const registerImportCommands: RegisterCommands = (program, ctx, done) => {
  const imp = program.command('import').description('bring state across from another agent framework');
  stateOptions(
    imp
      .command('openclaw')
      .description(
        'import an OpenClaw state dir: config (agents, bindings, model providers, channel accounts), workspace files, cron jobs and sessions',
      )
      .option('--from <dir>', 'the OpenClaw state dir (default: ~/.openclaw); it is only read')
      .option('--dry-run', 'show what would be imported, changed or skipped; write nothing')
      .option('--json', 'print the report as JSON'),
  ).action(async (opts) =>
    done(await (await import('./commands/import-openclaw.js')).importOpenClawCommand(ctx, opts)),
  );
};
