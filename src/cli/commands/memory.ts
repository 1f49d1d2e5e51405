import pc from 'picocolors';
import { processEnvironment } from '../../config/index.js';
import { type AgentMemory, MemoryManager, memoryIndexPath } from '../../memory/index.js';
import type { CliContext, StateFlags } from '../context.js';
import { formatJson } from '../format.js';
import { type LocalAgent, loadLocalAgent } from './skills-local.js';

/** Flags of `carapace memory search` and `carapace memory reindex`. */
export interface MemoryFlags extends StateFlags {
  agent?: string;
  max?: number;
  json?: boolean;
}

function agentMemory(local: LocalAgent): AgentMemory {
  return new MemoryManager({ agentsDir: local.paths.agentsDir, env: processEnvironment() }).forAgent({
    agentId: local.agent.id,
    workspaceDir: local.agent.workspaceDir,
    config: local.config.memory,
  });
}

/**
 * `carapace memory search <query>`: what `memory_search` would return to the agent — ranked snippets with
 * file and line range — after bringing the index in the state dir up to date.
 */
export async function memorySearch(ctx: CliContext, query: string, flags: MemoryFlags): Promise<number> {
  const local = await loadLocalAgent(ctx, flags);
  if (!local) return 1;
  const r = await agentMemory(local).search(query, { maxResults: flags.max });
  if (flags.json) {
    ctx.io.out(formatJson({ agentId: local.agent.id, ...r }, false));
    return 0;
  }
  for (const w of r.warnings) ctx.io.err(`${pc.yellow('warning:')} ${w}\n`);
  if (r.hits.length === 0) {
    ctx.io.out(`Nothing in ${local.agent.id}'s memory matches.\n`);
    return 0;
  }
  for (const h of r.hits) {
    ctx.io.out(
      `${pc.bold(`${h.path}:${h.startLine}-${h.endLine}`)}  ${pc.dim(`score ${h.score.toFixed(3)}`)}\n`,
    );
    ctx.io.out(`${h.snippet.replace(/^/gm, '  ')}\n\n`);
  }
  ctx.io.out(pc.dim(`${r.hits.length} result${r.hits.length === 1 ? '' : 's'} (${r.mode})\n`));
  return 0;
}

/** `carapace memory reindex`: rebuild the agent's memory index from its workspace files. */
export async function memoryReindex(ctx: CliContext, flags: MemoryFlags): Promise<number> {
  const local = await loadLocalAgent(ctx, flags);
  if (!local) return 1;
  const stats = await agentMemory(local).reindex();
  const indexPath = memoryIndexPath(local.paths.agentsDir, local.agent.id);
  if (flags.json) {
    ctx.io.out(formatJson({ agentId: local.agent.id, indexPath, ...stats }, false));
    return stats.warnings.some((w) => w.startsWith('the index could not be saved')) ? 1 : 0;
  }
  for (const w of stats.warnings) ctx.io.err(`${pc.yellow('warning:')} ${w}\n`);
  const embedded = stats.embedded ? `, ${stats.embedded} embedded` : '';
  ctx.io.out(
    `Indexed ${stats.files} file${stats.files === 1 ? '' : 's'}, ${stats.chunks} chunk${stats.chunks === 1 ? '' : 's'}${embedded} → ${indexPath}\n`,
  );
  return stats.warnings.some((w) => w.startsWith('the index could not be saved')) ? 1 : 0;
}
