import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
import { markdownToWhatsApp } from './format.js';

describe('markdownToWhatsApp', () => {
  it('converts emphasis, strike, headings, bullets and links to WhatsApp markup', () => {
    expect(markdownToWhatsApp('**bold** and *italic* and __also bold__ and ~~gone~~')).toBe(
      '*bold* and _italic_ and *also bold* and ~gone~',
    );
    expect(markdownToWhatsApp('# Title\n* one\n+ two\n- three')).toBe('*Title*\n- one\n- two\n- three');
    expect(markdownToWhatsApp('see [the docs](https://example.com/x)')).toBe(
      'see the docs (https://example.com/x)',
    );
  });

  it('leaves code exactly as written and plain text untouched', () => {
    const code = '```ts\nconst a = **b** * c;\n```';
    expect(markdownToWhatsApp(code)).toBe(code);
    expect(markdownToWhatsApp('~~~\n**x**\n~~~')).toBe('```\n**x**\n```');
    expect(markdownToWhatsApp('use `**raw**` here')).toBe('use `**raw**` here');
    expect(markdownToWhatsApp('2 * 3 * 4 = 24, a_b_c')).toBe('2 * 3 * 4 = 24, a_b_c');
  });
});

describe('backoffDelay', () => {
  it('doubles from the initial delay, spreads by the jitter, and never passes the cap', () => {
    const mid = () => 0.5;
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, DEFAULT_BACKOFF, mid))).toEqual([2000, 4000, 8000, 16000]);
    expect(backoffDelay(0, DEFAULT_BACKOFF, () => 0)).toBe(1600);
    expect(backoffDelay(0, DEFAULT_BACKOFF, () => 0.999999)).toBe(2400);
    expect(backoffDelay(30, DEFAULT_BACKOFF, () => 0.999999)).toBe(DEFAULT_BACKOFF.maxMs);
    expect(backoffDelay(30, DEFAULT_BACKOFF, () => 0)).toBe(DEFAULT_BACKOFF.maxMs * 0.8);
  });
});
