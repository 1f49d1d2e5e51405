import { describe, expect, it } from 'vitest';
import { CENSOR, SecretScrubber, secretForms } from './redactor.js';

const SECRET = 'tok-"quoted"/with+special&chars=0123';

describe('SecretScrubber', () => {
  it('masks raw, URL-encoded, JSON-escaped and base64 forms (at any alignment inside longer base64)', () => {
    const s = new SecretScrubber();
    s.set([SECRET, undefined, 'short']);
    const leaks = [
      `x ${SECRET} y`,
      `?t=${encodeURIComponent(SECRET)}`,
      JSON.stringify({ t: SECRET }),
      Buffer.from(SECRET).toString('base64'),
      Buffer.from(`user:${SECRET}`).toString('base64'),
      Buffer.from(`ab:${SECRET}:cd`).toString('base64url'),
    ];
    for (const text of leaks) {
      const out = s.scrubText(text);
      expect(out).toContain(CENSOR);
      for (const form of secretForms(SECRET)) expect(out).not.toContain(form);
    }
    expect(s.scrubText('short and plain')).toBe('short and plain');
    expect(s.secrets()).toEqual([SECRET]);
  });

  it('scrubs a frame value by value, so the JSON stays valid', () => {
    const s = new SecretScrubber();
    s.set([SECRET]);
    const text = s.scrubFrame({ type: 'event', payload: { text: `a ${SECRET} b`, n: 1 } });
    expect(JSON.parse(text)).toEqual({ type: 'event', payload: { text: `a ${CENSOR} b`, n: 1 } });
    expect(s.scrubFrame({ ok: true })).toBe('{"ok":true}');
  });

  it('follows its source: a rotated secret of the same length is picked up', () => {
    let current = 'first-secret-aaaa';
    const s = new SecretScrubber();
    s.setSource(() => [current]);
    expect(s.scrubText('first-secret-aaaa')).toBe(CENSOR);
    current = 'other-secret-bbbb';
    expect(s.scrubText('other-secret-bbbb')).toBe(CENSOR);
  });

  it('keeps the message, stack and fields of errors while masking them', () => {
    const s = new SecretScrubber();
    s.set([SECRET]);
    const err = Object.assign(new Error(`bad key ${SECRET}`), { code: 'X', detail: SECRET });
    const out = s.scrub(err);
    expect(out).toBeInstanceOf(Error);
    expect(out.message).toBe(`bad key ${CENSOR}`);
    expect(JSON.stringify({ ...out, stack: out.stack })).not.toContain(SECRET);
    expect((out as unknown as { code: string }).code).toBe('X');
  });
});
