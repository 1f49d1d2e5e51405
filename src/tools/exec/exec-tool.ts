import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import Type from 'typebox';
import type { AgentTool, ToolContext, ToolOutput } from '../../agent/index.js';
import type { ToolsConfig } from '../../config/index.js';
import { type Clock, errorMessage, newId, systemClock } from '../../shared/index.js';
import {
  type ApprovalBroker,
  analyzeCommand,
  approvalStillHolds,
  buildChildEnv,
  configRules,
  decideExec,
  type ExecApprovalsStore,
  type ExecRefusalCode,
  effectiveExecPolicy,
  fingerprintDir,
  fingerprintFile,
  isInside,
  sanitizePathDirs,
} from '../approvals/index.js';
import { defineTool } from '../define-tool.js';
import { SandboxRunner, sandboxRequired } from '../sandbox/index.js';
import { askOperator, persistAllowAlways } from './approve.js';
import { runInForeground } from './foreground.js';
import { ExecJob, type JobPlan } from './job.js';
import { hostLauncher, type Launcher, type SpawnPort, sandboxLauncher } from './launcher.js';
import type { ProcessRegistry } from './process-registry.js';

export const ExecParamsSchema = Type.Object(
  {
    command: Type.String({ minLength: 1, description: 'The shell command to run.' }),
    workdir: Type.Optional(
      Type.String({
        description: 'Directory to run in, relative to the workspace (default: the workspace).',
      }),
    ),
    timeout: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'Seconds before it is killed (at most tools.exec.timeoutSec).',
      }),
    ),
    yieldMs: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Continue in the background after this many milliseconds.' }),
    ),
    background: Type.Optional(Type.Boolean({ description: 'Start in the background right away.' })),
  },
  { additionalProperties: false },
);

/** The two config sections the exec tool reads (on every call, so reloads apply). */
export interface ExecToolsConfig {
  exec: ToolsConfig['exec'];
  sandbox: ToolsConfig['sandbox'];
}

export interface ExecToolDeps {
  config: () => ExecToolsConfig;
  /** The agent's workspace directory (must exist). */
  workspaceDir: (agentId: string) => string;
  /** The state dir; never mounted into a sandbox. */
  stateDir?: string;
  /** The gateway's environment; children get only `inheritEnv` names of it, never injection names. */
  env: Readonly<Record<string, string | undefined>>;
  inheritEnv?: readonly string[];
  registry: ProcessRegistry;
  broker?: ApprovalBroker;
  store?: ExecApprovalsStore;
  /** Default: the session key is `agent:<agentId>:main`. */
  isOwnerMain?: (ctx: ToolContext) => boolean;
  /** True when the turn read untrusted content: `full` is lowered to `allowlist`. */
  isTainted?: (ctx: ToolContext) => boolean;
  spawn?: SpawnPort;
  /** The shell for approved dynamic commands and `security: full`. Default `/bin/sh`. */
  shellPath?: string;
  clock?: Clock;
  newId?: () => string;
  killGraceMs?: number;
}

type Prepared =
  | { ok: false; output: ToolOutput }
  | {
      ok: true;
      plan: JobPlan;
      launch: Launcher;
      env: Record<string, string>;
      pathDirs: string[];
      note?: string;
    };

function refuse(code: ExecRefusalCode | string, message: string): Prepared {
  return { ok: false, output: { content: { status: 'refused', code, message }, isError: true } };
}

/** Default owner-main test: the agent's main session key. */
export function defaultIsOwnerMain(ctx: ToolContext): boolean {
  return ctx.sessionKey.toLowerCase() === `agent:${ctx.agentId.toLowerCase()}:main`;
}

/**
 * The `exec` tool: runs a command under the exec policy (deny / allowlist with asking / full), in the
 * bubblewrap sandbox when the session requires it (refusing when the sandbox is unavailable), in the
 * foreground until `yieldMs`, then in the background as a process of the calling session.
 */
export function createExecTool(deps: ExecToolDeps): AgentTool<typeof ExecParamsSchema> {
  const clock = deps.clock ?? systemClock;
  const runners = new Map<string, SandboxRunner>();
  const runnerFor = (bwrapPath: string | undefined) => {
    const key = bwrapPath ?? '';
    let runner = runners.get(key);
    if (!runner) {
      runner = new SandboxRunner(bwrapPath ? { bwrapPath } : {});
      runners.set(key, runner);
    }
    return runner;
  };

  async function prepare(
    args: { command: string; workdir?: string | undefined },
    ctx: ToolContext,
    signal: AbortSignal,
  ): Promise<Prepared> {
    const cfg = deps.config();
    const ownerMain = (deps.isOwnerMain ?? defaultIsOwnerMain)(ctx);
    const policy = effectiveExecPolicy(cfg.exec, { ownerMain, tainted: deps.isTainted?.(ctx) ?? false });
    if (policy.security === 'deny')
      return refuse('EXEC_DENIED', 'exec is disabled (tools.exec.security = deny)');
    let workspace: string;
    try {
      workspace = await realpath(deps.workspaceDir(ctx.agentId));
    } catch (err) {
      return refuse('EXEC_NO_WORKSPACE', `the agent workspace is not available: ${errorMessage(err)}`);
    }
    const cwdFp = await fingerprintDir(resolve(workspace, args.workdir ?? '.'));
    if (!cwdFp) return refuse('EXEC_BAD_WORKDIR', `no such directory: ${args.workdir}`);
    // The working directory is fenced like a file path, in every mode (symlinks resolved).
    if (!isInside(cwdFp.path, workspace)) {
      return refuse('EXEC_BAD_WORKDIR', `workdir '${args.workdir}' is outside the workspace`);
    }
    const sandboxed = sandboxRequired(cfg.sandbox.mode, ownerMain);
    let launch = hostLauncher(deps.spawn);
    if (sandboxed) {
      const runner = runnerFor(cfg.sandbox.bwrapPath);
      const status = await runner.check();
      if (!status.ok) return refuse('EXEC_SANDBOX_UNAVAILABLE', status.message);
      const base = {
        workspaceDir: workspace,
        access: cfg.sandbox.workspaceAccess,
        network: cfg.sandbox.network,
        memoryMb: cfg.sandbox.memoryMb,
        cpuSeconds: cfg.exec.timeoutSec,
        ...(deps.stateDir ? { stateDir: deps.stateDir } : {}),
      };
      launch = sandboxLauncher(runner, base, deps.spawn);
    }
    const pathDirs = sanitizePathDirs(deps.env.PATH, workspace);
    const env = buildChildEnv(deps.env, pathDirs, deps.inheritEnv);
    const shell = await fingerprintFile(deps.shellPath ?? '/bin/sh');
    const shellPlan = (): Prepared =>
      shell
        ? {
            ok: true,
            plan: { kind: 'shell', command: args.command, shell, cwd: cwdFp.path },
            launch,
            env,
            pathDirs,
          }
        : refuse('EXEC_REFUSED', `no shell at ${deps.shellPath ?? '/bin/sh'}`);
    if (policy.security === 'full') return shellPlan();

    const storeRules = deps.store ? await deps.store.rules().catch(() => []) : [];
    const input = {
      command: args.command,
      cwd: cwdFp.path,
      workspaceDir: workspace,
      pathDirs,
      rules: [...configRules(cfg.exec.allowlist), ...storeRules],
      agentId: ctx.agentId,
      ...(sandboxed ? { sandboxAccess: cfg.sandbox.workspaceAccess } : {}),
    };
    const analysis = await analyzeCommand(input);
    const decision = decideExec(analysis, policy);
    if (decision.action === 'refuse') return refuse(decision.code, decision.message);
    if (decision.action === 'run') {
      return { ok: true, plan: { kind: 'direct', entries: analysis.entries }, launch, env, pathDirs };
    }
    if (!deps.broker) {
      return refuse(
        'EXEC_APPROVAL_UNAVAILABLE',
        `needs approval (${decision.reason}) but no approval channel is set up`,
      );
    }
    const answer = await askOperator({
      broker: deps.broker,
      analysis,
      ctx,
      reason: decision.reason,
      timeoutSec: cfg.exec.approvalTimeoutSec,
      signal,
      clock,
      newId: deps.newId ?? newId,
    });
    if (answer.timedOut) {
      return refuse(
        'EXEC_APPROVAL_TIMEOUT',
        `not run: no operator answered within ${cfg.exec.approvalTimeoutSec} s (tools.exec.approvalTimeoutSec), which counts as a deny: ${args.command}`,
      );
    }
    if (answer.decision === 'deny') return refuse('EXEC_APPROVAL_DENIED', `not approved: ${args.command}`);
    const again = await analyzeCommand(input);
    // The shell itself (for dynamic commands) is re-checked against `shell` by the job at spawn time.
    const drift = approvalStillHolds(analysis, again);
    if (drift) return refuse('EXEC_CHANGED_AFTER_APPROVAL', `approval no longer holds: ${drift}`);
    const note =
      answer.decision === 'allow-always'
        ? await persistAllowAlways(deps.store, analysis, ctx.agentId)
        : undefined;
    const prepared = analysis.static
      ? ({ ok: true, plan: { kind: 'direct', entries: analysis.entries }, launch, env, pathDirs } as Prepared)
      : shellPlan();
    if (prepared.ok && note) prepared.note = note;
    return prepared;
  }

  return defineTool({
    name: 'exec',
    description:
      'Run a shell command in the agent workspace. Output is returned when it finishes; a command still ' +
      'running after yieldMs continues in the background (use the process tool to poll, write or kill it). ' +
      'Commands outside the exec allowlist may need an operator approval.',
    parameters: ExecParamsSchema,
    async execute(args, ctx, signal) {
      const cfg = deps.config();
      let prepared: Prepared;
      try {
        prepared = await prepare(args, ctx, signal);
      } catch (err) {
        prepared = refuse('EXEC_FAILED', errorMessage(err));
      }
      if (!prepared.ok) return prepared.output;
      const timeoutSec = Math.min(args.timeout ?? cfg.exec.timeoutSec, cfg.exec.timeoutSec);
      const job = new ExecJob(prepared.plan, {
        launch: prepared.launch,
        env: prepared.env,
        pathDirs: prepared.pathDirs,
        timeoutMs: timeoutSec * 1000,
        maxOutputChars: cfg.exec.maxOutputBytes,
        clock,
        ...(deps.killGraceMs !== undefined ? { killGraceMs: deps.killGraceMs } : {}),
      });
      job.start();
      const yieldMs = args.background ? 0 : (args.yieldMs ?? cfg.exec.yieldMs);
      return runInForeground(job, {
        yieldMs,
        signal,
        registry: deps.registry,
        sessionKey: ctx.sessionKey,
        command: args.command,
        ...(prepared.note ? { note: prepared.note } : {}),
      });
    },
  });
}
