import { describe, expect, it } from 'vitest';
import { type Deferred, deferred, sleep } from '../shared/index.js';
import type { LaneStore } from './lane-store.js';
import type { LaneJob, LaneManagerOptions, LaneOutcome, OutcomeEvent } from './lane-types.js';
import { LaneManager } from './lanes.js';

/** A run function whose turns finish only when the test says so. */
class Script {
  readonly jobs: Array<LaneJob<string> & { done: Deferred<string> }> = [];
  private waiters: Array<() => void> = [];
  readonly run = (job: LaneJob<string>): Promise<string> => {
    const done = deferred<string>();
    this.jobs.push({ ...job, takeSteered: job.takeSteered, done });
    for (const w of this.waiters.splice(0)) w();
    return done.promise;
  };
  /** Wait until `n` turns have started. */
  async started(n: number): Promise<void> {
    while (this.jobs.length < n) await new Promise<void>((r) => this.waiters.push(r));
  }
  turns(): string[][] {
    return this.jobs.map((j) => [...j.messages]);
  }
}

function lanes(
  run: LaneManagerOptions<string, string>['run'],
  extra: Partial<LaneManagerOptions<string, string>> = {},
): LaneManager<string, string> {
  return new LaneManager<string, string>({ run, fold: (ms) => ms.join('+'), ...extra });
}

const status = (o: LaneOutcome<string>) => (o.status === 'dropped' ? `dropped:${o.reason}` : o.status);

describe('LaneManager queue modes', () => {
  it('followup: every message is its own turn, in order, one at a time', async () => {
    const script = new Script();
    const lm = lanes(script.run);
    const tickets = ['a', 'b', 'c'].map((m) => lm.submit('s', m));
    await script.started(1);
    expect(lm.stats()).toMatchObject({ running: 1, pending: 2 });
    script.jobs[0]!.done.resolve('A');
    await script.started(2);
    script.jobs[1]!.done.resolve('B');
    await script.started(3);
    script.jobs[2]!.done.resolve('C');
    const outcomes = await Promise.all(tickets.map((t) => t.outcome));
    expect(script.turns()).toEqual([['a'], ['b'], ['c']]);
    expect(outcomes.map((o) => o.status === 'ok' && o.result)).toEqual(['A', 'B', 'C']);
    await lm.idle();
    expect(lm.stats().lanes).toBe(0);
  });

  it('collect: messages that arrive while a turn runs become one turn', async () => {
    const script = new Script();
    const lm = lanes(script.run, { queue: { mode: 'collect' } });
    const first = lm.submit('s', 'a');
    await script.started(1);
    const rest = ['b', 'c', 'd'].map((m) => lm.submit('s', m));
    script.jobs[0]!.done.resolve('1');
    await script.started(2);
    script.jobs[1]!.done.resolve('2');
    expect(script.turns()).toEqual([['a'], ['b', 'c', 'd']]);
    expect(status(await first.outcome)).toBe('ok');
    for (const t of rest) expect(await t.outcome).toMatchObject({ status: 'ok', result: '2' });
  });

  it('steer: the running turn takes steered messages at its tool boundary; they share its outcome', async () => {
    const script = new Script();
    const lm = lanes(script.run, { queue: { mode: 'steer' } });
    const first = lm.submit('s', 'a');
    await script.started(1);
    const steered = [lm.submit('s', 'b'), lm.submit('s', 'c')];
    expect(script.jobs[0]!.takeSteered()).toEqual(['b', 'c']);
    expect(script.jobs[0]!.takeSteered()).toEqual([]);
    script.jobs[0]!.done.resolve('done');
    for (const t of [first, ...steered])
      expect(await t.outcome).toMatchObject({ status: 'ok', result: 'done' });
    expect(script.jobs).toHaveLength(1);
  });

  it('steer: messages the turn never takes run as one followup turn afterwards', async () => {
    const script = new Script();
    const lm = lanes(script.run, { queue: { mode: 'steer' } });
    lm.submit('s', 'a');
    await script.started(1);
    const late = [lm.submit('s', 'b'), lm.submit('s', 'c')];
    script.jobs[0]!.done.resolve('first');
    await script.started(2);
    script.jobs[1]!.done.resolve('second');
    expect(script.turns()).toEqual([['a'], ['b', 'c']]);
    for (const t of late) expect(await t.outcome).toMatchObject({ result: 'second' });
  });

  it('interrupt: aborts the running turn through its signal, supersedes waiting ones, runs the newest', async () => {
    const script = new Script();
    const lm = lanes(script.run);
    const first = lm.submit('s', 'a');
    await script.started(1);
    const signal = script.jobs[0]!.signal;
    signal.addEventListener('abort', () => script.jobs[0]!.done.reject(signal.reason));
    const waiting = lm.submit('s', 'b');
    const newest = lm.submit('s', 'c', { mode: 'interrupt' });
    expect(signal.aborted).toBe(true);
    expect(await first.outcome).toMatchObject({ status: 'error', error: { code: 'RUN_INTERRUPTED' } });
    expect(await waiting.outcome).toMatchObject({ status: 'dropped', reason: 'superseded' });
    await script.started(2);
    script.jobs[1]!.done.resolve('C');
    expect(await newest.outcome).toMatchObject({ status: 'ok', result: 'C' });
    expect(script.turns()).toEqual([['a'], ['c']]);
  });
});

describe('LaneManager caps and overflow', () => {
  async function full(drop: 'old' | 'new' | 'summarize') {
    const script = new Script();
    const lm = lanes(script.run, { queue: { cap: 2, drop } });
    const busy = lm.submit('s', 'busy');
    await script.started(1);
    const tickets = ['1', '2', '3', '4'].map((m) => lm.submit('s', m));
    return { script, lm, busy, tickets };
  }

  async function drain(script: Script, from: number): Promise<void> {
    for (let i = from; ; i++) {
      script.jobs[i - 1]!.done.resolve(`r${i}`);
      await Promise.race([script.started(i + 1), sleep(50)]);
      if (script.jobs.length === i) return;
    }
  }

  it("drop 'new' refuses the newcomer with an explicit outcome", async () => {
    const { script, tickets } = await full('new');
    expect(tickets.map((t) => t.accepted)).toEqual([true, true, false, false]);
    expect(await tickets[2]!.outcome).toMatchObject({
      status: 'dropped',
      reason: 'lane-full',
      error: { code: 'MESSAGE_LANE_FULL' },
    });
    await drain(script, 1);
    expect(script.turns()).toEqual([['busy'], ['1'], ['2']]);
  });

  it("drop 'old' evicts the oldest waiting message", async () => {
    const { script, tickets } = await full('old');
    expect(await tickets[0]!.outcome).toMatchObject({ status: 'dropped', reason: 'evicted' });
    expect(await tickets[1]!.outcome).toMatchObject({ status: 'dropped', reason: 'evicted' });
    await drain(script, 1);
    expect(script.turns()).toEqual([['busy'], ['3'], ['4']]);
  });

  it("drop 'summarize' folds the overflow into the last waiting turn, which answers all of them", async () => {
    const { script, tickets } = await full('summarize');
    await drain(script, 1);
    expect(script.turns()).toEqual([['busy'], ['1'], ['2+3+4']]);
    const results = await Promise.all(tickets.map((t) => t.outcome));
    expect(results.map((o) => o.status === 'ok' && o.result)).toEqual(['r2', 'r3', 'r3', 'r3']);
  });

  it('refuses the newcomer with an outcome when folding throws', async () => {
    const script = new Script();
    const lm = lanes(script.run, {
      queue: { cap: 1 },
      fold: () => {
        throw new Error('cannot fold');
      },
    });
    lm.submit('s', 'busy');
    await script.started(1);
    const waiting = lm.submit('s', 'w');
    const over = lm.submit('s', 'x');
    expect(over.accepted).toBe(false);
    expect(await over.outcome).toMatchObject({
      status: 'dropped',
      error: { message: /folding failed: cannot fold/ },
    });
    script.jobs[0]!.done.resolve('');
    await script.started(2);
    script.jobs[1]!.done.resolve('w done');
    expect(await waiting.outcome).toMatchObject({ status: 'ok', result: 'w done' });
  });

  it('needs a fold function for summarize and validates settings', () => {
    expect(() => new LaneManager<string, string>({ run: async () => '' })).toThrow(/needs a fold function/);
    const lm = lanes(async () => '');
    expect(() => lm.configure({ cap: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_LANE_OPTIONS' }));
    expect(() => lm.configure({ maxConcurrent: 0 })).toThrow(/maxConcurrent/);
  });
});

describe('LaneManager timing, failures and shutdown', () => {
  it('debounce: messages spread over a quiet period become one collected turn', async () => {
    const script = new Script();
    const lm = lanes(script.run, { queue: { mode: 'collect', debounceMs: 300 } });
    const tickets = [lm.submit('s', 'a')];
    for (const m of ['b', 'c']) {
      await sleep(20);
      tickets.push(lm.submit('s', m));
    }
    expect(script.jobs).toHaveLength(0);
    await script.started(1);
    script.jobs[0]!.done.resolve('x');
    expect(script.turns()).toEqual([['a', 'b', 'c']]);
    for (const t of tickets) expect(status(await t.outcome)).toBe('ok');
  });

  it('watchdog: a run past its timeout is aborted, and freed even when it ignores the signal', async () => {
    const signals: AbortSignal[] = [];
    const lm = lanes(
      async (job) => {
        signals.push(job.signal);
        if (job.messages[0] === 'hang') return new Promise<string>(() => undefined);
        return 'ok';
      },
      { timeoutMs: 50, abortGraceMs: 20 },
    );
    const hung = lm.submit('s', 'hang');
    const next = lm.submit('s', 'after');
    expect(await hung.outcome).toMatchObject({ status: 'error', error: { code: 'RUN_TIMEOUT' } });
    expect(signals[0]!.aborted).toBe(true);
    expect(await next.outcome).toMatchObject({ status: 'ok', result: 'ok' });
    await lm.idle();
    expect(lm.stats()).toMatchObject({ lanes: 0, running: 0 });
  });

  it('releases the lane when the run throws, synchronously or not', async () => {
    const lm = lanes((job) => {
      if (job.messages[0] === 'sync') throw new Error('boom');
      if (job.messages[0] === 'async') return Promise.reject(new Error('later'));
      return Promise.resolve('fine');
    });
    const [a, b, c] = ['sync', 'async', 'ok'].map((m) => lm.submit('s', m));
    expect(await a!.outcome).toMatchObject({
      status: 'error',
      error: { code: 'RUN_FAILED', message: /boom/ },
    });
    expect(await b!.outcome).toMatchObject({
      status: 'error',
      error: { code: 'RUN_FAILED', message: /later/ },
    });
    expect(await c!.outcome).toMatchObject({ status: 'ok', result: 'fine' });
  });

  it('abort(key) aborts the running turn and can clear the queue', async () => {
    const script = new Script();
    const lm = lanes(script.run);
    const running = lm.submit('s', 'a');
    const queued = lm.submit('s', 'b');
    await script.started(1);
    script.jobs[0]!.signal.addEventListener('abort', () => script.jobs[0]!.done.resolve('partial'));
    const result = lm.abort('s', { clearPending: true });
    expect(result).toMatchObject({ aborted: true, runIds: [script.jobs[0]!.runId], dropped: 1 });
    expect(await running.outcome).toMatchObject({ status: 'ok', result: 'partial' });
    expect(await queued.outcome).toMatchObject({ status: 'dropped', reason: 'aborted' });
    expect(lm.abort('nothing')).toEqual({ aborted: false, runIds: [], dropped: 0 });
  });

  it('stop() drops waiting messages as shutdown, aborts running turns and refuses new ones', async () => {
    const script = new Script();
    const lm = lanes(script.run, { abortGraceMs: 20 });
    const running = lm.submit('s', 'a');
    const waiting = lm.submit('s', 'b');
    await script.started(1);
    await lm.stop();
    expect(await running.outcome).toMatchObject({ status: 'dropped', reason: 'shutdown' });
    expect(await waiting.outcome).toMatchObject({ status: 'dropped', reason: 'shutdown' });
    const late = lm.submit('s', 'c');
    expect(late.accepted).toBe(false);
    expect(await late.outcome).toMatchObject({ status: 'dropped', reason: 'shutdown' });
  });

  it('waits for a LaneStore claim held elsewhere, then runs and releases it', async () => {
    const calls: string[] = [];
    let refusals = 2;
    const store: LaneStore = {
      async acquire(key) {
        calls.push(`acquire ${key}`);
        return refusals-- <= 0;
      },
      async release(key) {
        calls.push(`release ${key}`);
      },
    };
    const lm = lanes(async (job) => job.messages.join(), { store, leaseRetryMs: 5 });
    expect(await lm.submit('s', 'x').outcome).toMatchObject({ status: 'ok', result: 'x' });
    await lm.idle();
    expect(calls).toEqual(['acquire s', 'acquire s', 'acquire s', 'release s']);
  });

  it('hold(key): its messages queue without a run slot or a watchdog until resume(key), in order', async () => {
    const script = new Script();
    const lm = lanes(script.run, { maxConcurrent: 1, timeoutMs: 200 });
    lm.hold('held');
    const held = ['h1', 'h2'].map((m) => lm.submit('held', m));
    const other = lm.submit('other', 'o');
    await script.started(1);
    expect(script.turns()).toEqual([['o']]); // the one slot went to the session not held
    script.jobs[0]!.done.resolve('o done');
    expect(await other.outcome).toMatchObject({ status: 'ok', result: 'o done' });
    await sleep(300); // past the watchdog: held messages are not timed while they wait
    expect(lm.laneInfo('held')).toEqual({ pending: 2 });
    expect(script.jobs).toHaveLength(1);
    lm.resume('held');
    await script.started(2);
    script.jobs[1]!.done.resolve('h1 done');
    await script.started(3);
    script.jobs[2]!.done.resolve('h2 done');
    expect(await Promise.all(held.map((t) => t.outcome))).toMatchObject([
      { status: 'ok', result: 'h1 done' },
      { status: 'ok', result: 'h2 done' },
    ]);
    expect(script.turns()).toEqual([['o'], ['h1'], ['h2']]);
    lm.resume('nothing held'); // no-op
    await lm.idle();
    expect(lm.stats().lanes).toBe(0);
  });

  it('stop() drops the messages of a held session as shutdown', async () => {
    const lm = lanes(async () => 'never');
    lm.hold('held');
    const waiting = lm.submit('held', 'h');
    await lm.stop();
    expect(await waiting.outcome).toMatchObject({ status: 'dropped', reason: 'shutdown' });
    expect(lm.stats().lanes).toBe(0);
  });

  it('never runs more than maxConcurrent turns at once', async () => {
    const script = new Script();
    const lm = lanes(script.run, { maxConcurrent: 2 });
    const tickets = ['s1', 's2', 's3', 's4'].map((s) => lm.submit(s, s));
    await script.started(2);
    await sleep(10);
    expect(script.jobs).toHaveLength(2);
    script.jobs[0]!.done.resolve('');
    await script.started(3);
    for (let i = 1; i < 4; i++) {
      await script.started(i + 1);
      script.jobs[i]!.done.resolve('');
    }
    await Promise.all(tickets.map((t) => t.outcome));
    expect(lm.stats().maxRunning).toBe(2);
  });
});

describe('LaneManager under load', () => {
  it('1,000 sessions × 20 messages: order kept, no overlap, cap respected, one outcome each', async () => {
    const SESSIONS = 1000;
    const PER = 20;
    const CAP = 16;
    const seen = new Map<string, number[]>();
    const busy = new Set<string>();
    let overlaps = 0;
    let running = 0;
    let maxRunning = 0;
    const outcomes = new Map<string, number>();
    const lm = new LaneManager<{ i: number }, number>({
      maxConcurrent: CAP,
      queue: { mode: 'followup', cap: PER, drop: 'new' },
      onOutcome: (e: OutcomeEvent<number>) => outcomes.set(e.id, (outcomes.get(e.id) ?? 0) + 1),
      run: async (job) => {
        if (busy.has(job.sessionKey)) overlaps++;
        busy.add(job.sessionKey);
        running++;
        maxRunning = Math.max(maxRunning, running);
        for (const m of job.messages) seen.get(job.sessionKey)!.push(m.i);
        await sleep(Math.floor(Math.random() * 4));
        running--;
        busy.delete(job.sessionKey);
        return job.messages.length;
      },
    });
    const tickets = [];
    for (let s = 0; s < SESSIONS; s++) seen.set(`s${s}`, []);
    for (let i = 0; i < PER; i++) {
      for (let s = 0; s < SESSIONS; s++) tickets.push(lm.submit(`s${s}`, { i }, { id: `s${s}/${i}` }));
    }
    const results = await Promise.all(tickets.map((t) => t.outcome));
    await lm.idle();

    expect(results.every((o) => o.status === 'ok')).toBe(true);
    expect(overlaps).toBe(0);
    expect(maxRunning).toBeLessThanOrEqual(CAP);
    expect(lm.stats()).toEqual({ lanes: 0, running: 0, pending: 0, maxRunning: lm.stats().maxRunning });
    expect(lm.stats().maxRunning).toBeLessThanOrEqual(CAP);
    const expected = Array.from({ length: PER }, (_, i) => i);
    for (const order of seen.values()) expect(order).toEqual(expected);
    expect(outcomes.size).toBe(SESSIONS * PER);
    expect([...outcomes.values()].every((n) => n === 1)).toBe(true);
  }, 20_000);
});
