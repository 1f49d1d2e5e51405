import { describe, expect, it } from 'vitest';
import { isCarapaceError } from '../shared/index.js';
import {
  formatSessionKey,
  isValidSessionKey,
  normalizeSessionKey,
  parseSessionKey,
  type SessionKeyParts,
  sessionKeyAgentId,
} from './session-key.js';

const UUID = '3f2a1c4e-8b7d-4e6f-9a0b-1c2d3e4f5a6b';

/** Every shape, with the exact key it formats to. */
const SHAPES: Array<[SessionKeyParts, string]> = [
  [{ kind: 'main', agentId: 'main' }, 'agent:main:main'],
  [{ kind: 'dm', agentId: 'work', peerId: '12345' }, 'agent:work:dm:12345'],
  [{ kind: 'dm', agentId: 'work', channel: 'telegram', peerId: '12345' }, 'agent:work:telegram:dm:12345'],
  [
    { kind: 'dm', agentId: 'work', channel: 'slack', accountId: 'T01', peerId: 'U999' },
    'agent:work:slack:T01:dm:U999',
  ],
  [
    { kind: 'dm', agentId: 'work', channel: 'slack', peerId: 'U999', threadId: '1700.1' },
    'agent:work:slack:dm:U999:thread:1700.1',
  ],
  [{ kind: 'dm', agentId: 'a', peerId: 'p', threadId: 't' }, 'agent:a:dm:p:thread:t'],
  [
    { kind: 'group', agentId: 'main', channel: 'telegram', groupId: '-100777' },
    'agent:main:telegram:group:-100777',
  ],
  [
    { kind: 'channel', agentId: 'main', channel: 'discord', channelId: '42', threadId: '43' },
    'agent:main:discord:channel:42:thread:43',
  ],
  [{ kind: 'subagent', agentId: 'main', runId: UUID }, `agent:main:subagent:${UUID}`],
  [{ kind: 'cron', jobId: 'daily-digest' }, 'cron:daily-digest'],
  [{ kind: 'hook', hookId: UUID }, `hook:${UUID}`],
];

function rejects(fn: () => unknown, reason: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(isCarapaceError(err, 'INVALID_SESSION_KEY')).toBe(true);
    expect((err as Error).message).toMatch(reason);
    expect((err as Error).message).toContain('Accepted shapes: main | agent:<agentId>:main');
    return;
  }
  throw new Error('expected INVALID_SESSION_KEY');
}

describe('session keys: every shape', () => {
  it.each(SHAPES)('formats and parses %j', (parts, key) => {
    expect(formatSessionKey(parts)).toBe(key);
    expect(parseSessionKey(key)).toEqual(parts);
  });

  it('accepts "main" as the default agent main key', () => {
    expect(parseSessionKey('main')).toEqual({ kind: 'main', agentId: 'main' });
    expect(parseSessionKey('MAIN', { defaultAgentId: 'work' })).toEqual({ kind: 'main', agentId: 'work' });
    expect(normalizeSessionKey('main', { defaultAgentId: 'work' })).toBe('agent:work:main');
  });

  it('normalizes case where it is safe and keeps it in platform ids', () => {
    expect(normalizeSessionKey('AGENT:Work:Telegram:DM:AbC')).toBe('agent:work:telegram:dm:AbC');
    expect(normalizeSessionKey(`Hook:${UUID.toUpperCase()}`)).toBe(`hook:${UUID}`);
    expect(normalizeSessionKey('agent:main:slack:T01:dm:U1:THREAD:X')).toBe(
      'agent:main:slack:T01:dm:U1:thread:X',
    );
  });

  it('encodes ids holding ":" and reserved words so the key stays unambiguous', () => {
    const parts: SessionKeyParts = { kind: 'dm', agentId: 'main', channel: 'whatsapp', peerId: 'a:b:dm:c' };
    const key = formatSessionKey(parts);
    expect(key).toBe('agent:main:whatsapp:dm:a%3Ab%3Adm%3Ac');
    expect(parseSessionKey(key)).toEqual(parts);
    const reserved: SessionKeyParts = { kind: 'group', agentId: 'main', channel: 'x', groupId: 'thread' };
    expect(formatSessionKey(reserved)).toBe('agent:main:x:group:%74hread');
    expect(parseSessionKey('agent:main:x:group:%74hread')).toEqual(reserved);
    expect(formatSessionKey({ kind: 'dm', agentId: 'main', peerId: '+15551234@s.whatsapp.net' })).toBe(
      'agent:main:dm:+15551234@s.whatsapp.net',
    );
  });

  it('reads the agent of a key, with cron and hook keys falling to the default', () => {
    expect(sessionKeyAgentId(parseSessionKey('agent:work:main'), 'main')).toBe('work');
    expect(sessionKeyAgentId(parseSessionKey('cron:nightly'), 'main')).toBe('main');
  });
});

describe('session keys: invalid keys say what is wrong', () => {
  it.each([
    ['', /it is empty/],
    ['session:abc', /must start with 'agent:'/],
    ['agent:main', /must be followed by a conversation/],
    ['agent:Bad!:main', /agent id "Bad!" must match/],
    ['agent:main:telegram:dm', /not a known conversation shape/],
    ['agent:main:telegram:group:a b', /must be percent-encoded/],
    ['agent:main:x:group:%ZZ', /must be percent-encoded/],
    ['agent:main:x:group:%C3', /not valid percent-encoded UTF-8/],
    ['agent:main:dm:thread', /cannot be the word 'thread' unencoded/],
    ['agent:main:main:thread:1', /not a known conversation shape/],
    ['agent:main:subagent:not-a-uuid', /is not a UUID/],
    ['hook:123', /is not a UUID/],
    ['cron:a:b', /takes exactly one id/],
    ['agent:main:Tele gram:group:1', /must be percent-encoded/],
  ])('rejects %j', (key, reason) => {
    rejects(() => parseSessionKey(key), reason);
    expect(isValidSessionKey(key)).toBe(false);
  });

  it('rejects overlong keys', () => {
    rejects(() => parseSessionKey(`agent:main:dm:${'x'.repeat(1100)}`), /longer than 1024/);
  });

  it('refuses to format parts no key can hold', () => {
    rejects(() => formatSessionKey({ kind: 'dm', agentId: 'main', peerId: '' }), /peer id is empty/);
    rejects(
      () => formatSessionKey({ kind: 'dm', agentId: 'main', accountId: 'a', peerId: 'p' }),
      /needs a channel/,
    );
    rejects(
      () => formatSessionKey({ kind: 'dm', agentId: 'main', peerId: '\ud800' }),
      /not well-formed Unicode/,
    );
    rejects(
      () => formatSessionKey({ kind: 'group', agentId: 'main', channel: 'a:b', groupId: 'g' }),
      /channel/,
    );
  });
});

/** A small seeded PRNG so a failing case can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = [
  ...'abcXYZ019:%_-.~@+!$ /\\#?&=',
  'é',
  'ß',
  '中',
  '日',
  '😀',
  '\u0000',
  '\n',
  'dm',
  'thread',
];

function randomId(rand: () => number): string {
  const len = 1 + Math.floor(rand() * 12);
  let out = '';
  for (let i = 0; i < len; i++) out += ALPHABET[Math.floor(rand() * ALPHABET.length)];
  return out;
}

describe('session keys: property-style round trip', () => {
  it('parse(format(parts)) returns the parts for 5,000 random ids', () => {
    const rand = prng(20240611);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    for (let i = 0; i < 5000; i++) {
      const thread = rand() < 0.3 ? { threadId: randomId(rand) } : {};
      const channel = pick(['telegram', 'discord', 'dm', 'main', 'x-1']);
      const parts: SessionKeyParts = pick<() => SessionKeyParts>([
        () => ({ kind: 'dm', agentId: 'main', peerId: randomId(rand), ...thread }),
        () => ({ kind: 'dm', agentId: 'a_b', channel, peerId: randomId(rand), ...thread }),
        () => ({
          kind: 'dm',
          agentId: 'a',
          channel,
          accountId: randomId(rand),
          peerId: randomId(rand),
          ...thread,
        }),
        () => ({ kind: 'group', agentId: 'main', channel, groupId: randomId(rand), ...thread }),
        () => ({ kind: 'channel', agentId: 'main', channel, channelId: randomId(rand), ...thread }),
        () => ({ kind: 'cron', jobId: randomId(rand) }),
      ])();
      const key = formatSessionKey(parts);
      expect(key).toMatch(/^[A-Za-z0-9._~@+=!$%:-]+$/);
      expect(parseSessionKey(key)).toEqual(parts);
      expect(normalizeSessionKey(key)).toBe(key);
    }
  });
});
