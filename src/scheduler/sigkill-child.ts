/**
 * A small process for sigkill.test.ts: a real-clock Scheduler with one `every` job whose turns take
 * `runMs`. Args: cronDir everyMs runMs effectsFile. Prints `ready` once started; SIGTERM stops it.
 */
import { appendFileSync } from 'node:fs';
import { sleep } from '../shared/index.js';
import { Scheduler } from './index.js';

const [cronDir = '', everyMs = '300', runMs = '200', effects = ''] = process.argv.slice(2);
const scheduler = new Scheduler({
  cronDir,
  maxTimerMs: 50,
  stopGraceMs: 2000,
  ports: {
    async runTurn(req) {
      appendFileSync(effects, `${req.sessionKey}\n`);
      await sleep(Number(runMs), req.signal);
      return { status: 'ok', text: 'NO_REPLY' };
    },
    systemEvent() {},
    async deliver() {},
    emit() {},
  },
});
await scheduler.start();
if (scheduler.list({ includeDisabled: true }).length === 0) {
  await scheduler.add({
    name: 'tick',
    schedule: { kind: 'every', everyMs: Number(everyMs), anchorMs: 0 },
    payload: { kind: 'agentTurn', message: 'tick' },
  });
}
process.on('SIGTERM', () => {
  void scheduler.stop().then(() => process.exit(0));
});
process.stdout.write('ready\n');
