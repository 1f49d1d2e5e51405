/**
 * tools/sandbox: bubblewrap. Builds the bwrap argv for one command (namespaces, read-only system dirs,
 * minimal /etc, private /tmp, the workspace at its own path, no network by default, prlimit limits) and
 * checks that a sandbox can start. No unsandboxed fallback exists. See README.md.
 */

export type { HostLayout, HostPathKind, SandboxMode, SandboxSpec, WorkspaceAccess } from './bwrap-args.js';
export { buildBwrapArgs, checkSandboxSpec, hostLayout } from './bwrap-args.js';
export type { ProbeSpawn, SandboxRunnerOptions, SandboxStatus } from './runner.js';
export {
  DEFAULT_BWRAP_PATH,
  DEFAULT_PRLIMIT_PATH,
  SANDBOX_INSTALL_HINT,
  SandboxRunner,
  sandboxRequired,
} from './runner.js';
