import { describe, expect, it } from 'vitest';
import { sanitizeToolText } from './sanitize.js';

describe('sanitizeToolText', () => {
  it('strips ANSI escapes and control characters, keeps tabs and newlines', () => {
    const raw = '\u001b[31mred\u001b[0m\tok\r\nnext\u0000\u0007line\u001b]0;title\u0007 \ud800end';
    expect(sanitizeToolText(raw)).toBe('red\tok\nnextline \uFFFDend');
  });

  it('masks known secrets', () => {
    expect(sanitizeToolText('token=tok-ABCDEF123 ok', { secrets: ['tok-ABCDEF123'] })).toBe(
      'token=[REDACTED] ok',
    );
  });

  it('caps the size with a visible marker', () => {
    const out = sanitizeToolText('x'.repeat(10_000), { maxChars: 1000 });
    expect(out.length).toBeLessThanOrEqual(1000);
    expect(out).toMatch(/…\[truncated: 10,000 characters in total, showing the first 880\]$/);
    expect(sanitizeToolText('short', { maxChars: 1000 })).toBe('short');
  });
});
