import { parsePositiveInt, type RegisterCommands, stateOptions } from './options.js';

/** `carapace memory search|reindex` (local: workspace files and the index in the state dir). */
export const registerMemoryCommands: RegisterCommands = (program, ctx, done) => {
  const memory = program
    .command('memory')
    .description("search an agent's memory files (MEMORY.md, memory/*.md) and manage their index");
  const load = () => import('./commands/memory.js');
  stateOptions(
    memory
      .command('search')
      .description('ranked snippets with file and line range, as memory_search returns them')
      .argument('<query>', 'what to look for')
      .option('--agent <id>', 'agent (default: the default agent)')
      .option('--max <n>', 'most results (default: memory.maxResults)', parsePositiveInt)
      .option('--json', 'print JSON'),
  ).action(async (query, opts) => done(await (await load()).memorySearch(ctx, query, opts)));
  stateOptions(
    memory
      .command('reindex')
      .description("rebuild the agent's memory index from its files (normally kept fresh automatically)")
      .option('--agent <id>', 'agent (default: the default agent)')
      .option('--json', 'print JSON'),
  ).action(async (opts) => done(await (await load()).memoryReindex(ctx, opts)));
};
