import { type Config, type ConfigIssue, loadConfig, type StatePaths } from '../config/index.js';
import { errorMessage, isCarapaceError } from '../shared/index.js';
import { GATEWAY_AUDIT_CHECKS } from './audit-checks.js';
import { AGENT_AUDIT_CHECKS } from './audit-checks-agents.js';
import type { AuditContext, AuditPorts } from './audit-types.js';
import { createConfigEditor } from './config-edit.js';
import type { Check, Issue, Report } from './findings.js';
import { runReport } from './findings.js';
import { listSkillsWithInstall } from './skills-install.js';

const configCheck: Check<AuditContext> = {
  id: 'config',
  run: async (ctx) => ctx.configIssues,
};

/** Every audit check, in the order they print. */
export const AUDIT_CHECKS: readonly Check<AuditContext>[] = [
  configCheck,
  ...GATEWAY_AUDIT_CHECKS,
  ...AGENT_AUDIT_CHECKS,
];

function problems(err: unknown): string {
  const issues = isCarapaceError(err, 'CONFIG_INVALID')
    ? (err.details?.issues as ConfigIssue[] | undefined)
    : undefined;
  if (!issues?.length) return errorMessage(err);
  return issues.map((i) => `${i.path}: ${i.message}`).join('; ');
}

/** Load the config and gather the ports. A config that does not load is one high finding. */
export async function createAuditContext(paths: StatePaths, ports: AuditPorts): Promise<AuditContext> {
  let config: Config | undefined;
  let configIssues: Issue[] = [];
  try {
    config = (await loadConfig({ paths, env: ports.env })).config;
  } catch (err) {
    configIssues = [
      {
        id: 'config.invalid',
        severity: 'high',
        message: `the config does not load, so most checks could not run: ${problems(err)}`,
        fix: 'carapace doctor (lists every problem with its path)',
        paths: [paths.configPath],
      },
    ];
  }
  return {
    paths,
    env: ports.env,
    config,
    configIssues,
    listSkills: ports.listSkills ?? listSkillsWithInstall,
  };
}

/**
 * `carapace security audit`: one finding per risk, each with a severity and the exact fix. With `fix`,
 * apply the safe ones — permissions (`chmod go-rwx`), and config tightenings written through the config
 * writer (one write, `carapace.json.bak` kept) — and audit again.
 */
export async function runAudit(options: { paths: StatePaths; fix?: boolean } & AuditPorts): Promise<Report> {
  const { paths, fix = false, ...ports } = options;
  return runReport(AUDIT_CHECKS, () => createAuditContext(paths, ports), {
    stateDir: paths.stateDir,
    fix,
    applyConfigEdits: createConfigEditor(paths, ports.env),
  });
}

/** The audit fails when any `high` finding is left. */
export function auditFailed(report: Report): boolean {
  return report.findings.some((f) => f.severity === 'high');
}
