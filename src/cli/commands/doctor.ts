import pc from 'picocolors';
import { processEnvironment } from '../../config/index.js';
import { countBySeverity, doctorFailed, runDoctor } from '../../ops/index.js';
import { type CliContext, type StateFlags, statePaths } from '../context.js';
import { formatJson } from '../format.js';
import { plural, printReport } from './doctor-report.js';

/** Flags of `carapace doctor`. */
export interface DoctorFlags extends StateFlags {
  fix?: boolean;
  json?: boolean;
}

/**
 * `carapace doctor [--fix] [--json]`: every check with what is wrong and how to fix it; with --fix the
 * safe repairs are made first. Exit 1 when a warning or error is left.
 */
export async function doctor(ctx: CliContext, flags: DoctorFlags): Promise<number> {
  const report = await runDoctor({
    paths: statePaths(flags),
    env: processEnvironment(),
    fix: flags.fix === true,
  });
  const failed = doctorFailed(report);
  if (flags.json) {
    ctx.io.out(formatJson({ ok: !failed, ...report }, true));
    return failed ? 1 : 0;
  }
  const c = countBySeverity(report.findings);
  const fixable = report.findings.filter(
    (f) => f.fixable && (f.severity === 'warn' || f.severity === 'error'),
  ).length;
  const problems = plural([
    [c.error ?? 0, 'error'],
    [c.warn ?? 0, 'warning'],
  ]);
  const hint = fixable > 0 && !flags.fix ? `; carapace doctor --fix repairs ${fixable} of them` : '';
  const summary = failed ? pc.red(`${problems}${hint}`) : pc.green('everything looks right');
  printReport(ctx.io, 'Carapace doctor', report, 'carapace doctor', summary);
  return failed ? 1 : 0;
}
