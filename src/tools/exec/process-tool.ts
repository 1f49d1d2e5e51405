import Type from 'typebox';
import type { AgentTool, ToolOutput } from '../../agent/index.js';
import { defineTool } from '../define-tool.js';
import type { ProcessRegistry } from './process-registry.js';

export const ProcessParamsSchema = Type.Object(
  {
    action: Type.Union(
      [
        Type.Literal('list'),
        Type.Literal('poll'),
        Type.Literal('log'),
        Type.Literal('write'),
        Type.Literal('kill'),
      ],
      {
        description:
          "'list' this session's processes; 'poll' new output since the last poll; 'log' the tail of the " +
          "output; 'write' to stdin; 'kill' the process.",
      },
    ),
    processId: Type.Optional(Type.String({ minLength: 1, description: 'Required except for list.' })),
    data: Type.Optional(Type.String({ description: "For 'write': text to send to stdin." })),
    eof: Type.Optional(Type.Boolean({ description: "For 'write': close stdin afterwards." })),
    tailChars: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1_000_000, description: "For 'log': how much (default 4000)." }),
    ),
  },
  { additionalProperties: false },
);

function fail(message: string): ToolOutput {
  return { content: { error: message }, isError: true };
}

/** The `process` tool: list, poll, log, write and kill the calling session's background processes. */
export function createProcessTool(registry: ProcessRegistry): AgentTool<typeof ProcessParamsSchema> {
  return defineTool({
    name: 'process',
    description:
      'Manage background processes started by exec in this session: list, poll (new output), log (tail), ' +
      'write (stdin), kill.',
    parameters: ProcessParamsSchema,
    async execute(args, ctx) {
      if (args.action === 'list') return { content: { processes: registry.list(ctx.sessionKey) } };
      const id = args.processId;
      if (!id) return fail(`'${args.action}' needs a processId`);
      const unknown = () => fail(`no process ${id} in this session`);
      switch (args.action) {
        case 'poll': {
          const poll = registry.poll(ctx.sessionKey, id);
          return poll ? { content: { ...poll } } : unknown();
        }
        case 'log': {
          const log = registry.log(ctx.sessionKey, id, args.tailChars ?? 4000);
          return log ? { content: { processId: id, ...log } } : unknown();
        }
        case 'write': {
          if (!registry.list(ctx.sessionKey).some((p) => p.processId === id)) return unknown();
          const ok = registry.write(ctx.sessionKey, id, args.data ?? '', args.eof ?? false);
          return ok ? { content: { processId: id, written: true } } : fail(`process ${id} has no open stdin`);
        }
        case 'kill': {
          const killed = await registry.kill(ctx.sessionKey, id);
          if (!killed) return unknown();
          const poll = registry.poll(ctx.sessionKey, id);
          return {
            content: { processId: id, killed: true, status: poll?.status, output: poll?.output ?? '' },
          };
        }
      }
    },
  });
}
