import pc from 'picocolors';
import type { Finding, FixResult, Report, Severity } from '../../ops/index.js';
import type { CliIo } from '../context.js';

const MARK: Record<Severity, string> = {
  ok: pc.green('✓'),
  info: pc.dim('i'),
  warn: pc.yellow('!'),
  error: pc.red('✗'),
  low: pc.dim('low'),
  medium: pc.yellow('medium'),
  high: pc.red('high'),
};

function findingText(f: Finding, fixCommand: string): string {
  const lines = [`  ${MARK[f.severity]} ${pc.bold(f.id)}  ${f.message}`];
  if (f.fix) lines.push(`      ${pc.dim('fix:')} ${f.fix}`);
  if (f.fixable) lines.push(`      ${pc.dim(`(${fixCommand} --fix does this)`)}`);
  return `${lines.join('\n')}\n`;
}

function fixText(f: FixResult): string {
  return `  ${f.ok ? pc.green('✓') : pc.red('✗')} ${pc.bold(f.id)}  ${f.message}\n`;
}

/** Print a doctor or audit report for people: findings, what --fix did, and a one-line summary. */
export function printReport(
  io: CliIo,
  title: string,
  report: Report,
  fixCommand: string,
  summary: string,
): void {
  io.out(`${pc.bold(title)} ${pc.dim(report.stateDir)}\n`);
  if (report.findings.length === 0) io.out(`  ${pc.green('✓')} nothing found\n`);
  for (const f of report.findings) io.out(findingText(f, fixCommand));
  if (report.fixes.length > 0) {
    io.out(`${pc.bold('Fixed')}\n`);
    for (const f of report.fixes) io.out(fixText(f));
  }
  io.out(`${summary}\n`);
}

/** `2 errors, 1 warning` from counts (zero counts left out). */
export function plural(counts: readonly [number, string][]): string {
  return counts
    .filter(([n]) => n > 0)
    .map(([n, word]) => `${n} ${word}${n === 1 ? '' : 's'}`)
    .join(', ');
}
