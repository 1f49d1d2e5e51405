import type { Static, TSchema } from 'typebox';
import type { ToolSpec } from '../models/index.js';

/** What a tool knows about the call it serves. */
export interface ToolContext {
  sessionKey: string;
  agentId: string;
  runId: string;
  toolCallId: string;
}

/**
 * What a tool returns. `content` is text, or structured data (sent to the model as JSON). `isError`
 * tells the model the call failed; the run goes on either way.
 */
export interface ToolOutput {
  content: string | Record<string, unknown> | unknown[];
  isError?: boolean;
}

/**
 * The contract every tool implements. `parameters` is a TypeBox schema (also the JSON Schema the model
 * sees); `execute` receives arguments already validated against it (with schema defaults applied), and
 * should honour `signal`. A tool that throws produces an error result, never a failed run.
 */
export interface AgentTool<S extends TSchema = TSchema> {
  name: string;
  description: string;
  parameters: S;
  execute(args: Static<S>, ctx: ToolContext, signal: AbortSignal): Promise<ToolOutput>;
}

/** Identity helper that infers `args` from `parameters`. */
export function defineTool<S extends TSchema>(tool: AgentTool<S>): AgentTool<S> {
  return tool;
}

/**
 * Each tool's spec, built once per tool object: the JSON copy of a schema (TypeBox's symbol keys
 * dropped) cost more than the rest of a turn's tool handling, and toolsets are reused across turns.
 * Specs are read-only (serialized into requests); a WeakMap lets a dropped toolset's specs go with it.
 */
const specCache = new WeakMap<AgentTool, ToolSpec>();

/** The tools as the model is offered them. */
export function toolSpecs(tools: readonly AgentTool[]): ToolSpec[] {
  return tools.map((t) => {
    let spec = specCache.get(t);
    if (!spec) {
      spec = {
        name: t.name,
        description: t.description,
        jsonSchema: JSON.parse(JSON.stringify(t.parameters)) as Record<string, unknown>,
      };
      specCache.set(t, spec);
    }
    return spec;
  });
}
