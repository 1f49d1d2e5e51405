/**
 * REL-07 with real gateway processes: `carapace gateway run` is killed (SIGKILL) while a cron turn is
 * running and while jobs are due, then started again on the same state dir. The fake model server (in
 * this process) counts every turn, so a repeated run would show.
 */
import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CronJob, CronRunEntry } from '../../src/protocol/index.js';
import { fakeModelConfig } from '../fakes/fake-model-config.js';
import {
  type FakeModelServer,
  type RecordedRequest,
  startFakeModelServer,
} from '../fakes/fake-model-server.js';
import { tempStateDir } from '../helpers/gateway-harness.js';
import { startGatewayProcess } from '../helpers/gateway-process.js';
import { connectedClient, type TestClient } from '../helpers/ws-client.js';

let fake: FakeModelServer;
const children = new Set<ChildProcess>();

/** The last user message of a model request. */
function lastUser(req: RecordedRequest): string {
  const messages = (req.body.messages as { role: string; content: unknown }[]) ?? [];
  const m = [...messages].reverse().find((x) => x.role === 'user');
  return typeof m?.content === 'string' ? m.content : JSON.stringify(m?.content ?? '');
}
const turnsFor = (text: string) => fake.requests.filter((r) => lastUser(r).includes(text)).length;

beforeAll(async () => {
  fake = await startFakeModelServer();
  // The slow job never answers (the gateway is killed during it); the others have nothing to say.
  const answer = (req: RecordedRequest) =>
    lastUser(req).includes('slow job')
      ? { type: 'stall' as const }
      : { type: 'reply' as const, text: 'NO_REPLY' };
  fake.enqueue(...Array.from({ length: 500 }, () => answer));
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await fake.close();
});

async function until(cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function call<T>(c: TestClient, method: string, params: unknown): Promise<T> {
  const res = await c.request(method, params);
  if (!res.ok) throw new Error(`${method}: ${JSON.stringify(res.error)}`);
  return res.payload as T;
}

async function start(stateDir: string) {
  const gw = await startGatewayProcess(stateDir);
  children.add(gw.child);
  const c = await connectedClient(gw.url, gw.token);
  return { ...gw, c };
}

function kill(child: ChildProcess): Promise<void> {
  children.delete(child);
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

const runs = async (c: TestClient, id: string) =>
  (await call<{ entries: CronRunEntry[] }>(c, 'cron.runs', { id, limit: 100 })).entries;

describe('cron across a killed gateway process', () => {
  it('due jobs run once after the restart, the killed run is interrupted, nothing runs twice', {
    timeout: 120_000,
  }, async () => {
    const stateDir = await tempStateDir({
      ...fakeModelConfig(fake, { apiKey: 'sk-restart' }),
      heartbeat: { every: '0m' },
      cron: { maxConcurrentRuns: 3 },
    });
    const first = await start(stateDir);
    const add = (input: Record<string, unknown>) => call<CronJob>(first.c, 'cron.add', input);
    const slow = await add({
      name: 'slow',
      schedule: { kind: 'every', everyMs: 24 * 3_600_000 },
      payload: { kind: 'agentTurn', message: 'slow job' },
    });
    const tick = await add({
      name: 'tick',
      schedule: { kind: 'every', everyMs: 1000, anchorMs: 0 },
      payload: { kind: 'agentTurn', message: 'tick job' },
    });
    // The slow job starts (a manual run) and hangs in its model call; the tick job runs every second.
    await call(first.c, 'cron.run', { id: slow.id });
    await until(() => turnsFor('slow job') === 1 && turnsFor('tick job') >= 1);
    const once = await add({
      name: 'once',
      schedule: { kind: 'at', at: new Date(Date.now() + 2500).toISOString() },
      payload: { kind: 'agentTurn', message: 'one-shot job' },
    });
    await kill(first.child);
    // Down while the one-shot comes due and several tick slots pass.
    await new Promise((r) => setTimeout(r, 4000));
    const ticksBefore = turnsFor('tick job');

    const second = await start(stateDir);
    await until(async () => (await runs(second.c, once.id)).some((e) => e.status === 'ok'));
    await until(async () => turnsFor('tick job') >= ticksBefore + 2);
    await call(second.c, 'cron.update', { id: tick.id, patch: { enabled: false } });
    await until(
      async () => (await call<{ running: string[] }>(second.c, 'cron.status', {})).running.length === 0,
    );

    // The killed run: recorded as interrupted, and its turn was not replayed by the restarted gateway.
    expect((await runs(second.c, slow.id)).map((e) => e.status)).toEqual(['interrupted']);
    expect(turnsFor('slow job')).toBe(1);
    // The one-shot that came due while the gateway was down: exactly one run and one model call.
    expect((await runs(second.c, once.id)).map((e) => [e.kind, e.status])).toEqual([['run', 'ok']]);
    expect(turnsFor('one-shot job')).toBe(1);
    // The tick job: every slot at most once, the missed ones recorded as a skipped range, no turn without a run.
    const ticks = await runs(second.c, tick.id);
    const ran = ticks.filter((e) => e.kind === 'run');
    const slots = ran.filter((e) => e.trigger === 'schedule').map((e) => e.scheduledAt);
    expect(new Set(slots).size).toBe(slots.length);
    expect(ticks.some((e) => e.kind === 'skipped' && (e.count ?? 0) >= 1)).toBe(true);
    expect(turnsFor('tick job')).toBeGreaterThanOrEqual(ran.filter((e) => e.status === 'ok').length);
    expect(turnsFor('tick job')).toBeLessThanOrEqual(ran.length);

    second.c.close();
    children.delete(second.child);
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
    await rm(stateDir, { recursive: true, force: true });
  });
});
