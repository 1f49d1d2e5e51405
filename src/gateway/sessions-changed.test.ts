import { describe, expect, it } from 'vitest';
import type { SessionsChangedPayload } from '../protocol/index.js';
import { SessionsChangedBatcher } from './sessions-changed.js';

const change = (sessionKey: string, reason: string, ts: number): SessionsChangedPayload => ({
  sessionKey,
  agentId: 'main',
  sessionId: `${sessionKey}-id`,
  reason,
  ts,
});

describe('SessionsChangedBatcher', () => {
  it('sends each distinct change of a window once, latest ts, in the order of last occurrence', async () => {
    const sent: SessionsChangedPayload[] = [];
    let flushed!: () => void;
    const done = new Promise<void>((resolve) => {
      flushed = resolve;
    });
    const batcher = new SessionsChangedBatcher((p) => {
      sent.push(p);
      if (sent.length === 3) flushed();
    }, 5);
    batcher.add(change('a', 'created', 1));
    batcher.add(change('a', 'updated', 2));
    batcher.add(change('b', 'updated', 3));
    batcher.add(change('a', 'updated', 4));
    expect(sent).toEqual([]); // held until the window ends
    await done;
    expect(sent.map((p) => [p.sessionKey, p.reason, p.ts])).toEqual([
      ['a', 'created', 1],
      ['b', 'updated', 3],
      ['a', 'updated', 4],
    ]);
    // A later change starts a new window.
    batcher.add(change('a', 'updated', 5));
    batcher.flush();
    expect(sent.at(-1)?.ts).toBe(5);
    expect(sent).toHaveLength(4);
  });
});
