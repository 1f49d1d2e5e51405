import { describe, expect, it } from 'vitest';
import { ApprovalQueue, parseApprovalRequest } from './approvals.js';
import {
  Credentials,
  checkGatewayUrl,
  ownGatewayUrl,
  type StorageLike,
  takeFragmentToken,
} from './credentials.js';

function fakeHistory() {
  const calls: (string | null | undefined)[] = [];
  return {
    calls,
    state: { k: 1 },
    replaceState: (_d: unknown, _u: string, url?: string | null) => calls.push(url),
  };
}
const loc = (hash: string, search = '') => ({
  protocol: 'http:',
  host: '127.0.0.1:18789',
  pathname: '/',
  search,
  hash,
});

describe('takeFragmentToken', () => {
  it('takes #token=… and scrubs the address bar at once, keeping path and query', () => {
    const h = fakeHistory();
    expect(takeFragmentToken(loc('#token=abc%2Bdef', '?x=1'), h)).toBe('abc+def');
    expect(h.calls).toEqual(['/?x=1']);
  });

  it('ignores fragments without a token and never reads the query', () => {
    const h = fakeHistory();
    expect(takeFragmentToken(loc('#section'), h)).toBeUndefined();
    expect(takeFragmentToken(loc('', '?token=leaked&gatewayUrl=ws://evil'), h)).toBeUndefined();
    expect(h.calls).toEqual([]);
  });
});

describe('gateway URLs', () => {
  it('defaults to the page origin', () => {
    expect(ownGatewayUrl({ protocol: 'http:', host: '127.0.0.1:18789' })).toBe('ws://127.0.0.1:18789/');
    expect(ownGatewayUrl({ protocol: 'https:', host: 'gw.example' })).toBe('wss://gw.example/');
  });

  it('accepts only ws(s) URLs without credentials, query or fragment', () => {
    expect(checkGatewayUrl('ws://10.0.0.2:18789')).toEqual({ ok: true, url: 'ws://10.0.0.2:18789/' });
    for (const bad of ['http://x/', 'ws://u:p@x/', 'ws://x/?token=1', 'ws://x/#token=1', 'nonsense']) {
      expect(checkGatewayUrl(bad).ok, bad).toBe(false);
    }
  });
});

describe('Credentials', () => {
  it('keeps token and URL in storage and survives a storage that throws', () => {
    const map = new Map<string, string>();
    const storage: StorageLike = {
      getItem: (k) => map.get(k) ?? null,
      setItem: (k, v) => void map.set(k, v),
      removeItem: (k) => void map.delete(k),
    };
    const c = new Credentials(storage);
    c.token = 't1';
    expect(new Credentials(storage).token).toBe('t1');
    c.token = undefined;
    expect(map.size).toBe(0);
    c.token = 'own';
    c.setTokenFor('ws://other:1/', 'theirs');
    expect(c.tokenFor(undefined)).toBe('own');
    expect(c.tokenFor('ws://other:1/')).toBe('theirs');
    expect(c.tokenFor('ws://third:1/')).toBeUndefined(); // the own token is never offered elsewhere
    const broken = new Credentials({
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
      removeItem: () => undefined,
    });
    broken.token = 'x';
    expect(broken.token).toBeUndefined();
  });
});

describe('approvals', () => {
  it('reads nested and flat requests, and forgets resolved ones', () => {
    expect(
      parseApprovalRequest({ id: 'a', request: { command: 'rm -rf x', cwd: '/w', agentId: 'main' } }),
    ).toEqual({
      id: 'a',
      command: 'rm -rf x',
      cwd: '/w',
      agentId: 'main',
    });
    expect(parseApprovalRequest({ id: 'b', argv: ['ls', '-l'] })?.command).toBe('ls -l');
    expect(parseApprovalRequest({ nope: 1 })).toBeUndefined();
    const q = new ApprovalQueue();
    expect(
      q.apply({
        type: 'event',
        event: 'exec.approval.requested',
        payload: { id: 'a', command: 'x', expiresAtMs: 10 },
      }),
    ).toBe(true);
    expect(q.list.map((r) => r.id)).toEqual(['a']);
    expect(q.prune(5)).toBe(false);
    expect(
      q.apply({ type: 'event', event: 'exec.approval.resolved', payload: { id: 'a', decision: 'deny' } }),
    ).toBe(true);
    expect(q.list).toEqual([]);
  });
});
