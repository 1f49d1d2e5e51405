import type { Config, ConfigEnv, StatePaths } from '../config/index.js';
import type { SandboxStatus } from '../tools/index.js';
import type { Issue } from './findings.js';
import type { PortProbe, ProcessProbe } from './host-probe.js';

/** Checks whether a sandbox can start (bubblewrap present and working). */
export type SandboxProbe = (bwrapPath: string | undefined) => Promise<SandboxStatus>;

/** The outside world doctor looks at; each has a default and tests may replace it. */
export interface DoctorPorts {
  /** The environment secret refs and `${VAR}` resolve against (`processEnvironment()` in the CLI). */
  env: ConfigEnv;
  /** Default: `process.versions.node`. */
  nodeVersion?: string;
  /** The `engines.node` range; default: read from Carapace's package.json. */
  engines?: string;
  /** Default: `process.getuid()`. */
  uid?: number;
  probeProcess?: ProcessProbe;
  probePort?: PortProbe;
  probeSandbox?: SandboxProbe;
}

/** What every doctor check receives. `config` is undefined when the config does not load. */
export interface DoctorContext {
  paths: StatePaths;
  env: ConfigEnv;
  config: Config | undefined;
  configExists: boolean;
  /** Problems loading the config (empty when it loaded). */
  configIssues: Issue[];
  nodeVersion: string;
  engines: string | undefined;
  uid: number;
  probeProcess: ProcessProbe;
  probePort: PortProbe;
  probeSandbox: SandboxProbe;
}
