import Type from 'typebox';
import { type AgentTool, defineTool, type ToolOutput } from '../agent/index.js';
import { errnoCode, errorMessage, isCarapaceError } from '../shared/index.js';
import { MEMORY_GET_MAX_LINES } from './get.js';
import type { AgentMemory } from './manager.js';

const MemorySearchParams = Type.Object(
  {
    query: Type.String({ minLength: 1, maxLength: 1000, description: 'What to look for, in plain words.' }),
    maxResults: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 50, description: 'Most snippets to return.' }),
    ),
  },
  { additionalProperties: false },
);

const MemoryGetParams = Type.Object(
  {
    path: Type.String({
      minLength: 1,
      maxLength: 512,
      description: "A memory file: 'MEMORY.md' or 'memory/YYYY-MM-DD.md' (as memory_search returns it).",
    }),
    from: Type.Optional(Type.Integer({ minimum: 1, description: 'First line (1-based; default 1).' })),
    lines: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MEMORY_GET_MAX_LINES,
        description: 'How many lines (default 200).',
      }),
    ),
  },
  { additionalProperties: false },
);

function failure(err: unknown, prefix: string): ToolOutput {
  const text = isCarapaceError(err) ? err.message : errnoCode(err) ? `${errnoCode(err)}` : errorMessage(err);
  return { content: `${prefix}: ${text}`, isError: true };
}

/**
 * The `memory_search` and `memory_get` tools (group:memory) over one agent's memory. Expected failures
 * (a path that is not a memory file, a missing file) come back as error results, never as throws.
 */
export function createMemoryTools(memory: AgentMemory): AgentTool[] {
  const search = defineTool({
    name: 'memory_search',
    description:
      'Search your memory files (MEMORY.md and the daily notes in memory/) for facts, decisions, preferences and past events. Returns ranked snippets with file and line range; read more with memory_get.',
    parameters: MemorySearchParams,
    async execute(args) {
      try {
        const r = await memory.search(args.query, { maxResults: args.maxResults });
        return {
          content: {
            results: r.hits,
            ...(r.hits.length === 0 ? { note: 'nothing in memory matches this query' } : {}),
            ...(r.warnings.length ? { warnings: r.warnings } : {}),
          },
        };
      } catch (err) {
        return failure(err, 'memory_search failed');
      }
    },
  });
  const get = defineTool({
    name: 'memory_get',
    description:
      'Read lines of a memory file (MEMORY.md or memory/*.md), e.g. the range a memory_search hit points to.',
    parameters: MemoryGetParams,
    async execute(args) {
      try {
        return { content: { ...(await memory.get(args.path, { from: args.from, lines: args.lines })) } };
      } catch (err) {
        return failure(err, 'memory_get failed');
      }
    },
  });
  return [search as unknown as AgentTool, get as unknown as AgentTool];
}
