import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolvePaths, type StatePaths } from '../config/index.js';
import { CarapaceError, type Clock } from '../shared/index.js';
import { accountPaths } from './account.js';
import { OutboundQueue } from './outbound-queue.js';
import { PAIRING_TTL_MS, PairingStore } from './pairing.js';
import { approvePairingInState, listPairingInState } from './pairing-local.js';

let dir: string;
let paths: StatePaths;
let now: number;
const clock: Clock = { now: () => now, monotonic: () => now };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'carapace-pairing-local-'));
  paths = resolvePaths({ stateDir: dir }, {});
  now = 5_000_000;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function issue(channel: string, accountId: string, senderId: string): Promise<string> {
  const store = await PairingStore.open(accountPaths(paths, channel, accountId).pairing, clock);
  const d = await store.request({ id: senderId, name: `name of ${senderId}` }, senderId);
  if (d.kind !== 'issued') throw new Error('no code issued');
  return d.request.code;
}

describe('pairing in the state dir (no gateway)', () => {
  it('lists live codes of every channel and account, or of one channel', async () => {
    const a = await issue('telegram', 'default', '11');
    const b = await issue('telegram', 'work.bot', '12');
    const c = await issue('memory', 'default', '13');
    const all = await listPairingInState(paths, undefined, clock);
    expect(all.map((r) => [r.channel, r.accountId, r.code, r.senderId])).toEqual([
      ['memory', 'default', c, '13'],
      ['telegram', 'default', a, '11'],
      ['telegram', 'work.bot', b, '12'],
    ]);
    expect(all[0]?.senderName).toBe('name of 13');
    expect((await listPairingInState(paths, 'telegram', clock)).map((r) => r.code)).toEqual([a, b]);
    now += PAIRING_TTL_MS;
    expect(await listPairingInState(paths, undefined, clock)).toEqual([]);
  });

  it('approves a code in whichever account issued it; the file then says the sender is approved', async () => {
    await issue('telegram', 'default', '11');
    const code = await issue('telegram', 'other', '12');
    const res = await approvePairingInState(paths, { channel: 'telegram', code: code.toLowerCase() }, clock);
    expect(res).toMatchObject({ channel: 'telegram', accountId: 'other', senderId: '12', approvedAt: now });
    const reopened = await PairingStore.open(accountPaths(paths, 'telegram', 'other').pairing, clock);
    expect(reopened.isApproved('12')).toBe(true);
    expect(reopened.pending()).toEqual([]);
    await expect(approvePairingInState(paths, { channel: 'telegram', code }, clock)).rejects.toMatchObject({
      code: 'PAIRING_CODE_NOT_FOUND',
    });
  });

  it('refuses a code of another account, an expired code, and a channel without pairing files', async () => {
    const code = await issue('telegram', 'default', '11');
    const wrong = approvePairingInState(paths, { channel: 'telegram', code, accountId: 'other' }, clock);
    await expect(wrong).rejects.toBeInstanceOf(CarapaceError);
    await expect(approvePairingInState(paths, { channel: 'slack', code }, clock)).rejects.toMatchObject({
      code: 'PAIRING_CODE_NOT_FOUND',
    });
    now += PAIRING_TTL_MS;
    await expect(approvePairingInState(paths, { channel: 'telegram', code }, clock)).rejects.toMatchObject({
      code: 'PAIRING_CODE_NOT_FOUND',
    });
  });
});

describe('outbound queue summary', () => {
  it('counts pending chunks and failed or unknown messages, with the newest failure', async () => {
    const queue = await OutboundQueue.open(join(dir, 'outbound.jsonl'), clock);
    const one = await queue.enqueue('a', 'chat', ['1', '2', '3']);
    await queue.enqueue('b', 'chat', ['x']);
    const c = await queue.enqueue('c', 'chat', ['y']);
    expect(queue.summary()).toEqual({ pending: 5, failed: 0, unknown: 0 });
    await queue.markSent(one[0]?.id ?? '', 'm1');
    now += 10;
    await queue.markFailed(one[1]?.id ?? '', 'refused');
    await queue.markFailed(one[2]?.id ?? '', 'not sent: an earlier chunk failed (refused)');
    now += 10;
    await queue.markUnknown(c[0]?.id ?? '', 'response lost');
    expect(queue.summary()).toEqual({
      pending: 1,
      failed: 1,
      unknown: 1,
      lastFailure: { at: now, error: 'response lost', state: 'unknown' },
    });
    await queue.close();
    const reopened = await OutboundQueue.open(join(dir, 'outbound.jsonl'), clock);
    expect(reopened.summary()).toMatchObject({ failed: 1, unknown: 1, lastFailure: { at: now } });
  });
});
