import Type, { type Static } from 'typebox';
import { errorMessage } from '../shared/index.js';

/**
 * How bad a finding is. `carapace doctor` uses ok < info < warn < error; `carapace security audit` uses
 * info < low < medium < high.
 */
export const SeveritySchema = Type.Union([
  Type.Literal('ok'),
  Type.Literal('info'),
  Type.Literal('warn'),
  Type.Literal('error'),
  Type.Literal('low'),
  Type.Literal('medium'),
  Type.Literal('high'),
]);
export type Severity = Static<typeof SeveritySchema>;

/** One result of a check, as `--json` prints it. */
export const FindingSchema = Type.Object({
  /** Stable id, e.g. `perm.token` or `gateway.bind`. */
  id: Type.String(),
  severity: SeveritySchema,
  message: Type.String(),
  /** The exact fix by hand (a command or a config change). */
  fix: Type.Optional(Type.String()),
  /** Whether `--fix` can repair it. */
  fixable: Type.Boolean(),
  /** Files or folders concerned. */
  paths: Type.Optional(Type.Array(Type.String())),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
export type Finding = Static<typeof FindingSchema>;

/** What `--fix` did for one finding. */
export const FixResultSchema = Type.Object({
  id: Type.String(),
  ok: Type.Boolean(),
  /** What was done (with the backup or the previous mode), or why it could not be. */
  message: Type.String(),
});
export type FixResult = Static<typeof FixResultSchema>;

/** A report: the findings (after fixes, when `--fix` ran) and what the fixes did. */
export const ReportSchema = Type.Object({
  stateDir: Type.String(),
  findings: Type.Array(FindingSchema),
  fixes: Type.Array(FixResultSchema),
});
export type Report = Static<typeof ReportSchema>;

/** A change to one config value (in the main config file), applied by `--fix` in one write with a backup. */
export interface ConfigEdit {
  kind: 'config';
  /** Path in the config document, e.g. `['tools', 'web', 'fetch', 'allowPrivateNetwork']`. */
  path: readonly (string | number)[];
  /** The value the file must hold for the edit to apply (a file changed since is left alone). */
  from: unknown;
  to: unknown;
}

/** A change on disk (chmod, removing a stale lock, seeding files); resolves with what it did. */
export interface FsRepair {
  kind: 'fs';
  apply: () => Promise<string>;
}

export type Repair = ConfigEdit | FsRepair;

/** A finding as a check returns it, with the repair `--fix` may apply. */
export interface Issue extends Omit<Finding, 'fixable'> {
  repair?: Repair;
}

/** One check: a small function from a context to issues. */
export interface Check<C> {
  id: string;
  run: (ctx: C) => Promise<Issue[]>;
}

/** Applies every config edit in one write; resolves with a result per edit (same order). */
export type ApplyConfigEdits = (edits: readonly { id: string; edit: ConfigEdit }[]) => Promise<FixResult[]>;

/** Run every check; a check that throws becomes an `error` finding with its id instead of ending the run. */
export async function runChecks<C>(checks: readonly Check<C>[], ctx: C): Promise<Issue[]> {
  const out: Issue[] = [];
  for (const check of checks) {
    try {
      out.push(...(await check.run(ctx)));
    } catch (err) {
      out.push({ id: check.id, severity: 'error', message: `check failed: ${errorMessage(err)}` });
    }
  }
  return out;
}

/** Drop the repair, keep whether there is one. */
export function toFinding(issue: Issue): Finding {
  const { repair, ...rest } = issue;
  return { ...rest, fixable: repair !== undefined };
}

/**
 * Apply the repair of every issue: file repairs one by one, config edits together (one config write, one
 * backup). A repair that fails is reported, not thrown.
 */
export async function applyRepairs(
  issues: readonly Issue[],
  applyConfigEdits: ApplyConfigEdits,
): Promise<FixResult[]> {
  const results: FixResult[] = [];
  const edits: { id: string; edit: ConfigEdit }[] = [];
  for (const issue of issues) {
    const repair = issue.repair;
    if (!repair) continue;
    if (repair.kind === 'config') {
      edits.push({ id: issue.id, edit: repair });
      continue;
    }
    try {
      results.push({ id: issue.id, ok: true, message: await repair.apply() });
    } catch (err) {
      results.push({ id: issue.id, ok: false, message: errorMessage(err) });
    }
  }
  if (edits.length > 0) results.push(...(await applyConfigEdits(edits)));
  return results;
}

/**
 * Run the checks, and with `fix` apply the repairs and run the checks again on a fresh context (the config
 * may have changed), so the report shows what is still wrong after the fixes.
 */
export async function runReport<C>(
  checks: readonly Check<C>[],
  context: () => Promise<C>,
  options: { stateDir: string; fix: boolean; applyConfigEdits: ApplyConfigEdits },
): Promise<Report> {
  let issues = await runChecks(checks, await context());
  let fixes: FixResult[] = [];
  if (options.fix && issues.some((i) => i.repair)) {
    fixes = await applyRepairs(issues, options.applyConfigEdits);
    issues = await runChecks(checks, await context());
  }
  return { stateDir: options.stateDir, findings: issues.map(toFinding), fixes };
}

/** Count findings by severity. */
export function countBySeverity(findings: readonly Finding[]): Partial<Record<Severity, number>> {
  const out: Partial<Record<Severity, number>> = {};
  for (const f of findings) out[f.severity] = (out[f.severity] ?? 0) + 1;
  return out;
}
