import type { ExecAnalysis, PlannedCommand } from './analyze.js';
import { sameBinary, sameDir } from './resolve.js';

function sameCommand(a: PlannedCommand, b: PlannedCommand): string | undefined {
  if (JSON.stringify(a.argv) !== JSON.stringify(b.argv)) return `argv changed: ${b.argv.join(' ')}`;
  if (a.cwd !== b.cwd) return `directory changed: ${b.cwd}`;
  if (a.binaries.length !== b.binaries.length || a.binaries.some((x, i) => !sameBinary(x, b.binaries[i]))) {
    return `program changed: ${b.binaries.map((x) => x.path).join(', ') || b.argv[0]}`;
  }
  if (JSON.stringify(a.redirects) !== JSON.stringify(b.redirects)) return 'redirections changed';
  return undefined;
}

/**
 * Compare the analysis an approval was given for with a fresh one made just before running: the same
 * cwd (same directory, not one put in its place), the same argv, the same programs (path, size, mtime,
 * inode) and redirect targets. Returns what changed, or undefined when the approval still holds.
 */
export function approvalStillHolds(approved: ExecAnalysis, now: ExecAnalysis): string | undefined {
  if (approved.command !== now.command) return 'command changed';
  if (!sameDir(approved.cwd, now.cwd)) return `working directory changed: ${now.cwd.path}`;
  if (now.refusal) return now.refusal.message;
  if (approved.entries.length !== now.entries.length) return 'command structure changed';
  for (let i = 0; i < approved.entries.length; i++) {
    const a = approved.entries[i]!;
    const b = now.entries[i]!;
    if (a.connector !== b.connector || a.pipeline.length !== b.pipeline.length)
      return 'command structure changed';
    for (let j = 0; j < a.pipeline.length; j++) {
      const diff = sameCommand(a.pipeline[j]!, b.pipeline[j]!);
      if (diff) return diff;
    }
  }
  return undefined;
}
