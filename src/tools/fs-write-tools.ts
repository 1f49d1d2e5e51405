import Type from 'typebox';
import type { AgentTool } from '../agent/index.js';
import { defineTool } from './define-tool.js';
import type { WorkspaceFence } from './fence.js';
import { readTextFile, writeTarget } from './fs-io.js';
import { runTool } from './tool-result.js';

/** 1-based line numbers at which `needle` starts in `text` (non-overlapping occurrences). */
export function occurrenceLines(text: string, needle: string): number[] {
  const lines: number[] = [];
  let from = 0;
  let line = 1;
  let counted = 0;
  for (;;) {
    const at = text.indexOf(needle, from);
    if (at < 0) return lines;
    for (let i = counted; i < at; i++) if (text.charCodeAt(i) === 10) line++;
    counted = at;
    lines.push(line);
    from = at + needle.length;
  }
}

function listLines(lines: number[]): string {
  const shown = lines.slice(0, 10).join(', ');
  return lines.length > 10 ? `${shown}, …` : shown;
}

/** Why an exact match failed, with a hint when a looser match exists. */
function notFoundHint(text: string, needle: string): string {
  const norm = (s: string) => s.replace(/\r\n/g, '\n').replace(/[ \t]+$/gm, '');
  if (norm(text).includes(norm(needle))) {
    return ' A match differing only in trailing whitespace or line endings exists; copy the text exactly as `read` shows it.';
  }
  const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
  if (squash(needle) !== '' && squash(text).includes(squash(needle))) {
    return ' A match differing only in whitespace/indentation exists; copy the text exactly as `read` shows it.';
  }
  return ' Read the file again and copy the text to replace exactly.';
}

function createWriteTool(fence: WorkspaceFence): AgentTool {
  return defineTool({
    name: 'write',
    description:
      'Write a text file in the workspace, replacing it if it exists and creating missing parent directories. ' +
      'Writes are atomic. Symbolic links and hard-linked files are refused.',
    parameters: Type.Object(
      {
        path: Type.String({ minLength: 1, description: 'File path, relative to the workspace.' }),
        content: Type.String({ description: 'The complete new content of the file.' }),
      },
      { additionalProperties: false },
    ),
    execute: (args) =>
      runTool(async () => {
        const target = await fence.resolveForWrite(args.path, { createParents: true });
        const bytes = await writeTarget(fence, target, args.content);
        const how = target.existingMode === undefined ? 'created' : 'replaced';
        return { content: `Wrote ${bytes} bytes to '${target.display}' (${how}).` };
      }),
  }) as AgentTool;
}

function createEditTool(fence: WorkspaceFence, maxBytes: number): AgentTool {
  return defineTool({
    name: 'edit',
    description:
      'Replace text in a workspace file. `old_string` must match the file exactly (whitespace included) and ' +
      'exactly once, unless `replace_all` is true; on zero or several matches nothing changes and the error ' +
      'says how many matches there are and on which lines. Include enough surrounding lines to be unique.',
    parameters: Type.Object(
      {
        path: Type.String({ minLength: 1, description: 'File path, relative to the workspace.' }),
        old_string: Type.String({ minLength: 1, description: 'Exact text to replace.' }),
        new_string: Type.String({ description: 'Replacement text.' }),
        replace_all: Type.Optional(
          Type.Boolean({ description: 'Replace every occurrence (default false).' }),
        ),
      },
      { additionalProperties: false },
    ),
    execute: (args) =>
      runTool(async () => {
        if (args.old_string === args.new_string) {
          return { content: 'old_string and new_string are identical; nothing to change.', isError: true };
        }
        const target = await fence.resolveForWrite(args.path);
        if (target.existingMode === undefined) {
          return { content: `'${target.display}' does not exist; use write to create it.`, isError: true };
        }
        const text = await readTextFile(fence, target, maxBytes);
        const at = occurrenceLines(text, args.old_string);
        if (at.length === 0) {
          return {
            content: `old_string was not found in '${target.display}' (0 matches).${notFoundHint(text, args.old_string)}`,
            isError: true,
          };
        }
        if (at.length > 1 && !args.replace_all) {
          return {
            content:
              `old_string matches ${at.length} times in '${target.display}' (at lines ${listLines(at)}); ` +
              'include more surrounding lines so it matches once, or set replace_all to true.',
            isError: true,
          };
        }
        const next = args.replace_all
          ? text.split(args.old_string).join(args.new_string)
          : text.replace(args.old_string, () => args.new_string);
        await writeTarget(fence, target, next);
        const what =
          at.length === 1
            ? `1 occurrence (line ${at[0]})`
            : `${at.length} occurrences (lines ${listLines(at)})`;
        return { content: `Edited '${target.display}': replaced ${what}.` };
      }),
  }) as AgentTool;
}

/** The file-changing tools: `write` and `edit`. */
export function createWriteTools(fence: WorkspaceFence, maxReadBytes: number): AgentTool[] {
  return [createWriteTool(fence), createEditTool(fence, maxReadBytes)];
}
