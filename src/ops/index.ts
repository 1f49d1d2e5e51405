/**
 * ops: running Carapace for real. `carapace doctor` (health checks with safe repairs), `carapace security
 * audit` (one finding per risk, with its severity and exact fix), the systemd user service and reading the
 * gateway's log file. Works on the state dir and the config; no gateway needed. See README.md.
 */

/** The gateway log file of a logs dir (the gateway's own helper, under the name the CLI uses). */
export { gatewayLogPath as gatewayLogFile } from '../config/index.js';
export { AUDIT_CHECKS, auditFailed, createAuditContext, runAudit } from './audit.js';
export type { AuditContext, AuditPorts, SkillInstallInfo, SkillInstallLister } from './audit-types.js';
export type { ChannelAccountView, ChannelName } from './channel-accounts.js';
export { channelAccounts, envSecretNames } from './channel-accounts.js';
export { createConfigEditor } from './config-edit.js';
export { createDoctorContext, doctorFailed, runDoctor } from './doctor.js';
export { DOCTOR_CHECKS } from './doctor-checks.js';
export type { DoctorContext, DoctorPorts, SandboxProbe } from './doctor-types.js';
export type {
  ApplyConfigEdits,
  Check,
  ConfigEdit,
  Finding,
  FixResult,
  FsRepair,
  Issue,
  Repair,
  Report,
  Severity,
} from './findings.js';
export {
  countBySeverity,
  FindingSchema,
  FixResultSchema,
  ReportSchema,
  runReport,
  SeveritySchema,
} from './findings.js';
export type { FormatFile, FormatSpec } from './formats.js';
export { PERSISTED_FORMATS, scanFormats } from './formats.js';
export type { PortProbe, PortState, ProcessInfo, ProcessProbe } from './host-probe.js';
export type { FollowOptions, LevelPainter } from './logs.js';
export { followLog, formatLogLine, readLastLines, tailGatewayLog } from './logs.js';
export { satisfiesRange } from './node-version.js';
export { secretWeakness } from './secret-strength.js';
export type { ServiceOptions, ServiceOutcome, SystemctlResult, SystemctlRunner } from './service.js';
export {
  createSystemctlRunner,
  installService,
  restartService,
  serviceStatus,
  uninstallService,
  userUnitDir,
} from './service.js';
export type { ServiceSpec } from './service-unit.js';
export { renderUnit, SERVICE_NAME, serviceEnvFile, supervisorInstructions } from './service-unit.js';
export { installSteps } from './skills-install.js';
