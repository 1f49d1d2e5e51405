import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { Writable } from 'node:stream';
import { CarapaceError, type Clock, errorMessage, systemClock } from '../../shared/index.js';
import {
  type BinaryFingerprint,
  fingerprintDir,
  fingerprintFile,
  type PlannedCommand,
  type PlannedEntry,
  resolveProgram,
  sameBinary,
} from '../approvals/index.js';
import type { Launcher } from './launcher.js';
import { OutputBuffer } from './output-buffer.js';
import { buildTargets, closeAll, type StdioTarget, toStdio } from './stdio.js';

export type JobStatus = 'running' | 'completed' | 'failed' | 'killed' | 'timeout' | 'error';

export interface JobResult {
  status: Exclude<JobStatus, 'running'>;
  /** Exit code of the last pipeline (128 + n when killed by signal n); null when it never ran. */
  exitCode: number | null;
  error?: string;
}

/** What a job runs: planned simple commands without a shell, or one approved `/bin/sh -c` string. */
export type JobPlan =
  | { kind: 'direct'; entries: readonly PlannedEntry[] }
  | { kind: 'shell'; command: string; shell: BinaryFingerprint; cwd: string };

export interface JobOptions {
  launch: Launcher;
  env: Readonly<Record<string, string>>;
  /** PATH dirs the plan was resolved through (programs are re-resolved and compared before each spawn). */
  pathDirs: readonly string[];
  timeoutMs: number;
  maxOutputChars: number;
  /** Between SIGTERM and SIGKILL on kill/timeout. */
  killGraceMs?: number;
  clock?: Clock;
}

interface Exit {
  code: number;
}

/**
 * One exec: runs its plan, captures output (capped), owns every child (each in its own process group,
 * killed as a group on kill/timeout), and re-checks each program's fingerprint right before it spawns.
 */
export class ExecJob {
  readonly output: OutputBuffer;
  readonly done: Promise<JobResult>;
  readonly startedAtMs: number;
  private finished: JobResult | undefined;
  private readonly live = new Set<ChildProcess>();
  private stdin: Writable | null = null;
  private stopReason: 'killed' | 'timeout' | undefined;
  private timer: NodeJS.Timeout | undefined;
  private settle!: (r: JobResult) => void;

  constructor(
    readonly plan: JobPlan,
    private readonly options: JobOptions,
  ) {
    this.output = new OutputBuffer(options.maxOutputChars);
    this.startedAtMs = (options.clock ?? systemClock).now();
    this.done = new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  get status(): JobStatus {
    return this.finished?.status ?? 'running';
  }

  get result(): JobResult | undefined {
    return this.finished;
  }

  start(): void {
    this.timer = setTimeout(() => this.kill('timeout'), this.options.timeoutMs);
    this.timer.unref();
    this.run().then(
      (code) =>
        this.finish({ status: this.stopReason ?? (code === 0 ? 'completed' : 'failed'), exitCode: code }),
      (err: unknown) => {
        const error = errorMessage(err);
        this.output.append(`[carapace] ${error}\n`);
        this.finish({ status: this.stopReason ?? 'error', exitCode: null, error });
      },
    );
  }

  /** Write to the stdin of the running command; false when there is none. */
  write(data: string): boolean {
    if (!this.stdin || this.stdin.destroyed || this.stdin.writableEnded) return false;
    this.stdin.write(data);
    return true;
  }

  /** Close the running command's stdin (EOF). */
  closeStdin(): boolean {
    if (!this.stdin || this.stdin.writableEnded) return false;
    this.stdin.end();
    return true;
  }

  /** Stop: SIGTERM to every process group, SIGKILL after the grace period. Idempotent. */
  kill(reason: 'killed' | 'timeout' = 'killed'): void {
    if (this.finished) return;
    this.stopReason ??= reason;
    this.stdin?.destroy();
    for (const child of this.live) signalGroup(child, 'SIGTERM');
    const grace = setTimeout(() => {
      for (const child of this.live) signalGroup(child, 'SIGKILL');
    }, this.options.killGraceMs ?? 2000);
    grace.unref();
  }

  private finish(result: JobResult): void {
    if (this.finished) return;
    clearTimeout(this.timer);
    this.finished = result;
    this.settle(result);
  }

  private async run(): Promise<number> {
    const plan = this.plan;
    if (plan.kind === 'shell') {
      const now = await fingerprintFile(plan.shell.path);
      if (!sameBinary(now, plan.shell)) throw changed(plan.shell.path);
      const cmd: PlannedCommand = {
        argv: ['sh', '-c', plan.command],
        effective: ['sh', '-c', plan.command],
        programs: [plan.shell.path],
        binaries: [plan.shell],
        cwd: plan.cwd,
        redirects: [],
      };
      return this.runPipeline([cmd], false);
    }
    let last = 0;
    for (const entry of plan.entries) {
      if (this.stopReason) break;
      if ((entry.connector === '&&' && last !== 0) || (entry.connector === '||' && last === 0)) continue;
      last = await this.runPipeline(entry.pipeline, true);
    }
    return last;
  }

  private async runPipeline(cmds: readonly PlannedCommand[], verify: boolean): Promise<number> {
    const only = cmds[0];
    if (cmds.length === 1 && only?.builtin === 'cd') {
      if (!(await fingerprintDir(only.cwd)))
        throw new CarapaceError('EXEC_CD_FAILED', `cd: ${only.cwd}: gone`);
      return 0;
    }
    if (verify) for (const cmd of cmds) await this.verify(cmd);
    if (this.stopReason) return 128 + constants.signals.SIGTERM;
    const waits: Promise<Exit>[] = [];
    const opened: number[] = [];
    let nextStdin: Writable | null = null;
    try {
      for (let idx = cmds.length - 1; idx >= 0; idx--) {
        const cmd = cmds[idx]!;
        const targets = buildTargets(cmd.redirects, idx === 0, idx === cmds.length - 1, nextStdin, opened);
        const child = this.options.launch({
          file: cmd.binaries[0]!.path,
          argv: cmd.argv,
          cwd: cmd.cwd,
          env: this.options.env,
          stdio: toStdio(targets),
        });
        waits.unshift(this.track(child, cmd.argv[0] ?? ''));
        this.wire(child, targets);
        nextStdin?.destroy();
        nextStdin = targets[0]?.t === 'pipe-in' ? child.stdin : null;
      }
    } catch (err) {
      this.output.append(`[carapace] ${errorMessage(err)}\n`);
      waits.push(Promise.resolve({ code: 1 }));
    } finally {
      nextStdin?.destroy();
      closeAll(opened);
    }
    const exits = await Promise.all(waits);
    return exits[exits.length - 1]?.code ?? 1;
  }

  /** The program words still resolve to the same unchanged files (SEC-07: no run after a swap). */
  private async verify(cmd: PlannedCommand): Promise<void> {
    for (let i = 0; i < cmd.programs.length; i++) {
      const now = await resolveProgram(cmd.programs[i]!, cmd.cwd, this.options.pathDirs);
      if (!sameBinary(now, cmd.binaries[i])) throw changed(cmd.programs[i]!);
    }
  }

  private wire(child: ChildProcess, targets: readonly StdioTarget[]): void {
    const append = (chunk: string) => this.output.append(chunk);
    if (targets[1]?.t === 'capture') child.stdout?.setEncoding('utf8').on('data', append);
    if (targets[2]?.t === 'capture') child.stderr?.setEncoding('utf8').on('data', append);
    const stdin = child.stdin;
    if (!stdin) return;
    stdin.on('error', () => undefined);
    const first = targets[0];
    if (first?.t === 'stdin') this.stdin = stdin;
    else if (first?.t === 'data') stdin.end(first.data);
  }

  private track(child: ChildProcess, name: string): Promise<Exit> {
    this.live.add(child);
    if (this.stopReason) signalGroup(child, 'SIGKILL');
    return new Promise<Exit>((resolve) => {
      let settled = false;
      const done = (exit: Exit) => {
        if (settled) return;
        settled = true;
        this.live.delete(child);
        resolve(exit);
      };
      child.on('error', (err) => {
        this.output.append(`[carapace] cannot run ${name}: ${err.message}\n`);
        done({ code: 127 });
      });
      child.on('close', (code, signal) => {
        done({ code: code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0) });
      });
    });
  }
}

function changed(program: string): CarapaceError {
  return new CarapaceError(
    'EXEC_CHANGED_AFTER_APPROVAL',
    `${program} changed after it was approved (different file, size, mtime or inode); not run`,
  );
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}
