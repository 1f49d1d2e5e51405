import { unlink } from 'node:fs/promises';
import Type from 'typebox';
import type { AgentTool } from '../agent/index.js';
import { CarapaceError } from '../shared/index.js';
import { defineTool } from './define-tool.js';
import type { WorkspaceFence, WriteTarget } from './fence.js';
import { readTextFile, writeTarget } from './fs-io.js';
import { applyHunks } from './patch-apply.js';
import { type PatchOp, parsePatch } from './patch-parse.js';
import { errorOutput, runTool } from './tool-result.js';

/** The patch format as the model reads it in the tool description. */
export const PATCH_FORMAT = `Format:
*** Begin Patch
*** Add File: path/new.txt
+first line of the new file
+second line
*** Update File: path/existing.ts
@@ function greet() {
 context line (starts with a space)
-line to remove
+line to add
*** Delete File: path/old.txt
*** End Patch
Each Update hunk starts with "@@" (optionally followed by a line of the file to search from) and lists context (' '), removed ('-') and added ('+') lines; the context and removed lines must match the file in exactly one place. Add "*** End of File" after a hunk that must match at the end. Paths are relative to the workspace.`;

interface Planned {
  op: PatchOp;
  /** Undefined for an added file whose parent directories are still to be created. */
  target: WriteTarget | undefined;
  content?: string;
}

async function plan(fence: WorkspaceFence, op: PatchOp, maxBytes: number): Promise<Planned> {
  let target: WriteTarget;
  try {
    target = await fence.resolveForWrite(op.path);
  } catch (err) {
    // The fence checks the deepest existing ancestor before it reports a missing parent, so an added file
    // in new directories is known to stay inside; its directories are created at write time.
    if (op.kind === 'add' && err instanceof CarapaceError && err.code === 'PATH_NOT_FOUND') {
      return { op, target: undefined, content: addedContent(op.lines) };
    }
    throw err;
  }
  const exists = target.existingMode !== undefined;
  if (op.kind === 'add') {
    if (exists)
      throw new CarapaceError('PATCH_MISMATCH', `'${target.display}' already exists; use Update File`);
    return { op, target, content: addedContent(op.lines) };
  }
  if (!exists) throw new CarapaceError('PATCH_MISMATCH', `'${target.display}' does not exist`);
  if (op.kind === 'delete') return { op, target };
  const text = await readTextFile(fence, target, maxBytes);
  return { op, target, content: applyHunks(text, op.hunks, target.display) };
}

function addedContent(lines: string[]): string {
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

async function carryOut(fence: WorkspaceFence, p: Planned): Promise<string> {
  const target = p.target ?? (await fence.resolveForWrite(p.op.path, { createParents: true }));
  if (p.op.kind === 'delete') {
    await unlink(target.real);
    return `D ${target.display}`;
  }
  await writeTarget(fence, target, p.content ?? '');
  if (p.op.kind === 'add') return `A ${target.display}`;
  const n = p.op.hunks.length;
  return `M ${target.display} (${n} hunk${n > 1 ? 's' : ''})`;
}

/** The `apply_patch` tool: all files are checked and patched in memory first; nothing changes on failure. */
export function createApplyPatchTool(fence: WorkspaceFence, maxReadBytes: number): AgentTool {
  return defineTool({
    name: 'apply_patch',
    description: `Create, change and delete several workspace files in one call. If any part of the patch fails to apply, no file is changed.\n${PATCH_FORMAT}`,
    parameters: Type.Object(
      {
        patch: Type.String({
          minLength: 1,
          description: 'The patch text, from *** Begin Patch to *** End Patch.',
        }),
      },
      { additionalProperties: false },
    ),
    execute: async (args) => {
      const planned: Planned[] = [];
      const checked = await runTool(async () => {
        for (const op of parsePatch(args.patch)) planned.push(await plan(fence, op, maxReadBytes));
        return { content: '' };
      }, 'apply_patch failed; no file was changed');
      if (checked.isError) return checked;
      const done: string[] = [];
      try {
        for (const p of planned) done.push(await carryOut(fence, p));
      } catch (err) {
        const changed = done.length === 0 ? 'nothing' : done.join(', ');
        return errorOutput(err, `apply_patch stopped after changing ${changed}`);
      }
      return { content: `Applied patch:\n${done.join('\n')}` };
    },
  }) as AgentTool;
}
