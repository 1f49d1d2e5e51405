import { describe, expect, it } from 'vitest';
import type { ToolContext } from '../agent/index.js';
import { Scheduler } from './scheduler.js';
import { FakeTime, RecordingPorts, tempCronDir, until } from './test-support.js';
import { createCronTool } from './tool.js';

const T0 = Date.parse('2026-06-01T10:00:00Z');
const ctx = (agentId: string): ToolContext => ({
  agentId,
  sessionKey: `agent:${agentId}:main`,
  runId: 'r',
  toolCallId: 't',
});
const signal = new AbortController().signal;

async function setup() {
  const time = new FakeTime(T0);
  const ports = new RecordingPorts();
  const s = new Scheduler({ cronDir: await tempCronDir(), ports, clock: time, timers: time });
  await s.start();
  const tool = createCronTool(s, { now: () => time.now(), maxJobsPerAgent: 3 });
  return { s, time, ports, tool };
}

describe('cron tool', () => {
  it('an agent schedules a reminder for itself; it fires into its main session once', async () => {
    const { s, time, ports, tool } = await setup();
    const out = await tool.execute(
      { action: 'add', name: 'tea', text: 'the tea is ready', at: '+5m' },
      ctx('ops'),
      signal,
    );
    expect(out.content).toMatchObject({ name: 'tea', nextRunAt: new Date(T0 + 5 * 60_000).toISOString() });
    await time.advance(5 * 60_000, () => until(() => s.status().running.length === 0));
    expect(ports.systemEvents).toEqual([
      { agentId: 'ops', sessionKey: 'agent:ops:main', text: 'Reminder: the tea is ready' },
    ]);
    // deleteAfterRun: the one-shot is gone.
    expect((await tool.execute({ action: 'list' }, ctx('ops'), signal)).content).toEqual({ jobs: [] });
    await s.stop();
  });

  it('lists and removes only its own jobs', async () => {
    const { s, tool } = await setup();
    const mine = (await tool.execute({ action: 'add', text: 'stretch', every: '1h' }, ctx('ops'), signal))
      .content as { jobId: string };
    const theirs = (
      await tool.execute(
        { action: 'add', task: 'summarize mail', cron: '0 9 * * *', tz: 'UTC' },
        ctx('main'),
        signal,
      )
    ).content as { jobId: string };
    const listed = (await tool.execute({ action: 'list' }, ctx('ops'), signal)).content as {
      jobs: { jobId: string }[];
    };
    expect(listed.jobs.map((j) => j.jobId)).toEqual([mine.jobId]);
    await expect(
      tool.execute({ action: 'remove', jobId: theirs.jobId }, ctx('ops'), signal),
    ).rejects.toMatchObject({
      code: 'CRON_JOB_NOT_FOUND',
    });
    expect(s.get(theirs.jobId).payload).toEqual({ kind: 'agentTurn', message: 'summarize mail' });
    await tool.execute({ action: 'remove', jobId: mine.jobId }, ctx('ops'), signal);
    expect(s.list({ includeDisabled: true }).map((j) => j.id)).toEqual([theirs.jobId]);
    await s.stop();
  });

  it('refuses unclear or abusive requests with a fix', async () => {
    const { s, tool } = await setup();
    await expect(tool.execute({ action: 'add', text: 'x' }, ctx('ops'), signal)).rejects.toThrow(
      /exactly one of 'at'/,
    );
    await expect(tool.execute({ action: 'add', text: 'x', every: '5s' }, ctx('ops'), signal)).rejects.toThrow(
      /at least 1m/,
    );
    await expect(tool.execute({ action: 'add', every: '1h' }, ctx('ops'), signal)).rejects.toThrow(
      /either 'text'/,
    );
    for (let i = 0; i < 3; i++)
      await tool.execute({ action: 'add', text: `r${i}`, every: '1h' }, ctx('ops'), signal);
    await expect(
      tool.execute({ action: 'add', text: 'more', every: '1h' }, ctx('ops'), signal),
    ).rejects.toThrow(/limit/);
    await s.stop();
  });
});
