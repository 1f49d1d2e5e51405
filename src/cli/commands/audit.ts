import pc from 'picocolors';
import { processEnvironment } from '../../config/index.js';
import { auditFailed, countBySeverity, runAudit } from '../../ops/index.js';
import { type CliContext, type StateFlags, statePaths } from '../context.js';
import { formatJson } from '../format.js';
import { plural, printReport } from './doctor-report.js';

/** Flags of `carapace security audit`. */
export interface AuditFlags extends StateFlags {
  fix?: boolean;
  json?: boolean;
}

/**
 * `carapace security audit [--fix] [--json]`: one finding per risk, high first, each with the exact fix.
 * Exit 1 when any high finding is left.
 */
export async function securityAudit(ctx: CliContext, flags: AuditFlags): Promise<number> {
  const report = await runAudit({
    paths: statePaths(flags),
    env: processEnvironment(),
    fix: flags.fix === true,
  });
  const rank = { high: 0, medium: 1, low: 2, info: 3 } as Record<string, number>;
  report.findings.sort((a, b) => (rank[a.severity] ?? 4) - (rank[b.severity] ?? 4));
  const failed = auditFailed(report);
  if (flags.json) {
    ctx.io.out(formatJson({ ok: !failed, ...report }, true));
    return failed ? 1 : 0;
  }
  const c = countBySeverity(report.findings);
  const counts = plural([
    [c.high ?? 0, 'high finding'],
    [c.medium ?? 0, 'medium finding'],
    [c.low ?? 0, 'low finding'],
  ]);
  const summary =
    report.findings.length === 0
      ? pc.green('no risks found')
      : failed
        ? pc.red(counts)
        : pc.yellow(counts || 'nothing at low or above');
  printReport(ctx.io, 'Carapace security audit', report, 'carapace security audit', summary);
  return failed ? 1 : 0;
}
