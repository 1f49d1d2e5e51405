import { homedir } from 'node:os';
import { resolve } from 'node:path';
import pc from 'picocolors';
import { type ConfigIssue, formatConfigIssues } from '../../config/index.js';
import {
  defaultOpenClawDir,
  type ImportItem,
  type ImportReport,
  importOpenClaw,
} from '../../import/index.js';
import { isCarapaceError } from '../../shared/index.js';
import { type CliContext, type StateFlags, statePaths } from '../context.js';
import { formatJson } from '../format.js';

/** Flags of `carapace import openclaw`. */
export interface ImportOpenClawFlags extends StateFlags {
  from?: string;
  dryRun?: boolean;
  json?: boolean;
}

const ACTION_COLOR = { imported: pc.green, changed: pc.yellow, skipped: pc.dim } as const;

function line(item: ImportItem): string {
  const action = ACTION_COLOR[item.action](item.action.padEnd(8));
  const why = item.why ? pc.dim(` — ${item.why}`) : '';
  return `  ${action} ${item.area.padEnd(9)} ${item.what}${why}\n`;
}

function printReport(ctx: CliContext, r: ImportReport): void {
  const head = r.dryRun ? `${pc.bold('Dry run')}: nothing was written` : pc.bold('Imported');
  ctx.io.out(`${head} — OpenClaw ${r.source} → Carapace ${r.target}\n\n`);
  for (const item of r.items) ctx.io.out(line(item));
  const c = r.counts;
  ctx.io.out(`\n${c.imported} imported, ${c.changed} changed, ${c.skipped} skipped.\n`);
  if (r.configWritten && !r.dryRun) {
    const backup = r.configBackup ? ` (previous one kept as ${r.configBackup})` : '';
    ctx.io.out(`carapace.json updated${backup}. Check it with: carapace config validate\n`);
  } else if (r.configWritten) ctx.io.out('carapace.json would be updated.\n');
  else ctx.io.out('carapace.json needed no change.\n');
}

/**
 * `carapace import openclaw [--from <dir>] [--dry-run] [--json]`: import an OpenClaw state dir and print
 * every item imported, changed (with how) or skipped (with why). Exit 1 when nothing could be imported
 * (no source, a running gateway, a config that would not validate).
 */
export async function importOpenClawCommand(ctx: CliContext, flags: ImportOpenClawFlags): Promise<number> {
  const home = homedir();
  const from = flags.from ? resolve(flags.from) : defaultOpenClawDir(home);
  try {
    const report = await importOpenClaw({
      from,
      paths: statePaths(flags),
      home,
      dryRun: flags.dryRun === true,
    });
    if (flags.json) ctx.io.out(formatJson(report, false));
    else printReport(ctx, report);
    return 0;
  } catch (err) {
    if (!isCarapaceError(err, 'CONFIG_INVALID')) throw err;
    const issues = (err.details?.issues as ConfigIssue[] | undefined) ?? [];
    ctx.io.err(`${pc.red('error:')} the imported config would not be valid; nothing was written\n`);
    ctx.io.err(`${issues.length ? formatConfigIssues(issues, statePaths(flags).configPath) : err.message}\n`);
    return 1;
  }
}
