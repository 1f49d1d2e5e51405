import { type Config, type ConfigIssue, loadConfig, type StatePaths } from '../config/index.js';
import { errorMessage, isCarapaceError } from '../shared/index.js';
import { createConfigEditor } from './config-edit.js';
import { DOCTOR_CHECKS } from './doctor-checks.js';
import type { DoctorContext, DoctorPorts, SandboxProbe } from './doctor-types.js';
import type { Issue, Report } from './findings.js';
import { runReport } from './findings.js';
import { probePort, probeProcess } from './host-probe.js';
import { findCarapacePackage } from './package-root.js';

// tools/index.ts reaches the agent and the AI SDK: load it only when a sandbox is to be probed, so that
// `carapace doctor` with the sandbox off starts without them.
const defaultSandboxProbe: SandboxProbe = async (bwrapPath) => {
  const { SandboxRunner } = await import('../tools/index.js');
  return new SandboxRunner(bwrapPath ? { bwrapPath } : {}).check();
};

function configProblems(err: unknown, file: string): Issue[] {
  if (isCarapaceError(err, 'CONFIG_INVALID')) {
    const issues = (err.details?.issues as ConfigIssue[] | undefined) ?? [];
    if (issues.length > 0) {
      return issues.map((i) => ({
        id: 'config.invalid',
        severity: 'error',
        message: `${file}: ${i.path}: ${i.message}`,
        ...(i.hint ? { fix: i.hint } : {}),
        paths: [file],
        details: { path: i.path },
      }));
    }
  }
  return [{ id: 'config.invalid', severity: 'error', message: errorMessage(err), paths: [file] }];
}

/** Load the config and gather the ports: the context every check gets. */
export async function createDoctorContext(paths: StatePaths, ports: DoctorPorts): Promise<DoctorContext> {
  let config: Config | undefined;
  let configExists = false;
  let configIssues: Issue[] = [];
  try {
    const loaded = await loadConfig({ paths, env: ports.env });
    config = loaded.config;
    configExists = loaded.exists;
  } catch (err) {
    configExists = true;
    configIssues = configProblems(err, paths.configPath);
  }
  return {
    paths,
    env: ports.env,
    config,
    configExists,
    configIssues,
    nodeVersion: ports.nodeVersion ?? process.versions.node,
    engines: ports.engines ?? (await findCarapacePackage())?.engines,
    uid: ports.uid ?? process.getuid?.() ?? 0,
    probeProcess: ports.probeProcess ?? probeProcess,
    probePort: ports.probePort ?? probePort,
    probeSandbox: ports.probeSandbox ?? defaultSandboxProbe,
  };
}

/**
 * `carapace doctor`: check the config, permissions, the lock and port, Node, the sandbox, channel
 * credentials, workspaces and persisted formats. With `fix`, repair what is safe (modes, a stale lock,
 * missing workspace files; a file is backed up before its contents change) and check again.
 */
export async function runDoctor(
  options: { paths: StatePaths; fix?: boolean } & DoctorPorts,
): Promise<Report> {
  const { paths, fix = false, ...ports } = options;
  return runReport(DOCTOR_CHECKS, () => createDoctorContext(paths, ports), {
    stateDir: paths.stateDir,
    fix,
    applyConfigEdits: createConfigEditor(paths, ports.env),
  });
}

/** Doctor fails when anything at `warn` or `error` is left. */
export function doctorFailed(report: Report): boolean {
  return report.findings.some((f) => f.severity === 'warn' || f.severity === 'error');
}
