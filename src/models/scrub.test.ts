import { describe, expect, it } from 'vitest';
import { SCRUBBED, scrubSecrets } from './scrub.js';

describe('scrubSecrets', () => {
  const key = 'sk-live/abc+123"xyz';

  it('masks raw, JSON-escaped, URL-encoded and base64 forms', () => {
    const text = [
      key,
      JSON.stringify(key),
      encodeURIComponent(key),
      Buffer.from(key).toString('base64'),
    ].join(' | ');
    const out = scrubSecrets(text, [key]);
    expect(out).not.toContain('abc+123');
    expect(out).not.toContain(encodeURIComponent(key));
    expect(out).not.toContain(Buffer.from(key).toString('base64'));
    expect(out.split(SCRUBBED).length - 1).toBe(4);
  });

  it('masks keys echoed by providers and ignores tiny secrets', () => {
    expect(scrubSecrets('Incorrect API key provided: sk-ab***wxyz. See docs.', [])).toBe(
      `Incorrect API key provided: ${SCRUBBED}. See docs.`,
    );
    expect(scrubSecrets('a b c', ['a'])).toBe('a b c');
  });
});
