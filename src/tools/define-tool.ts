import type { TSchema } from 'typebox';
import type { AgentTool } from '../agent/index.js';

/**
 * Identity helper that infers a tool's `args` from its `parameters` (the agent folder's `defineTool`).
 * Kept here so that defining a tool imports only the agent's types: the ops commands (`carapace doctor`,
 * `security audit`) load this folder without loading the agent runtime and the AI SDK behind it.
 */
export function defineTool<S extends TSchema>(tool: AgentTool<S>): AgentTool<S> {
  return tool;
}
