import type { ToolOutput } from '../../agent/index.js';
import type { ExecJob, JobResult } from './job.js';
import type { ProcessRegistry } from './process-registry.js';

export interface ForegroundOptions {
  /** 0 = background at once. */
  yieldMs: number;
  /** The run's signal: aborting it kills a foreground job (not one already in the background). */
  signal: AbortSignal;
  registry: ProcessRegistry;
  sessionKey: string;
  command: string;
  note?: string;
}

/** A finished job as a tool result. Refusals, timeouts, kills and setup errors are errors for the model. */
export function jobOutput(job: ExecJob, result: JobResult, note?: string): ToolOutput {
  const content: Record<string, unknown> = {
    status: result.status,
    exitCode: result.exitCode,
    output: job.output.render(),
  };
  if (result.error) content.error = result.error;
  if (note) content.note = note;
  const isError = result.status === 'error' || result.status === 'timeout' || result.status === 'killed';
  return isError ? { content, isError } : { content };
}

/**
 * Wait for the job up to `yieldMs`. Finished → its result; still running → adopted by the registry for
 * the session (output so far returned with the process id); run aborted → the job is killed.
 */
export async function runInForeground(job: ExecJob, options: ForegroundOptions): Promise<ToolOutput> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const outcome = await Promise.race<'done' | 'yield' | 'abort'>([
    job.done.then(() => 'done' as const),
    new Promise<'yield'>((resolve) => {
      timer = setTimeout(() => resolve('yield'), options.yieldMs);
    }),
    new Promise<'abort'>((resolve) => {
      onAbort = () => resolve('abort');
      if (options.signal.aborted) onAbort();
      else options.signal.addEventListener('abort', onAbort, { once: true });
    }),
  ]);
  clearTimeout(timer);
  if (onAbort) options.signal.removeEventListener('abort', onAbort);
  if (outcome === 'abort') {
    job.kill('killed');
    return jobOutput(job, await job.done, options.note);
  }
  if (outcome === 'done' || job.result) return jobOutput(job, job.result ?? (await job.done), options.note);
  const processId = options.registry.adopt(job, options.sessionKey, options.command, job.output.end);
  const content: Record<string, unknown> = {
    status: 'running',
    processId,
    output: job.output.render(),
    message: `Still running in the background as ${processId}; use the process tool to poll, write, or kill it.`,
  };
  if (options.note) content.note = options.note;
  return { content };
}
