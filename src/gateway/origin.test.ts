import { describe, expect, it } from 'vitest';
import { originAllowed } from './origin.js';

describe('originAllowed', () => {
  const port = 18789;
  it.each([
    ['http://127.0.0.1:18789', true],
    ['http://localhost:18789', true],
    ['http://[::1]:18789', true],
    ['HTTP://LOCALHOST:18789', true],
    ['http://127.0.0.1:18790', false],
    ['http://evil.localhost:18789', false],
    ['http://localhost.evil.test:18789', false],
    ['https://127.0.0.1:18789', false],
    ['null', false],
    ['file://', false],
    ['chrome-extension://abc', false],
    ['not a url', false],
  ])('%s → %s', (origin, expected) => {
    expect(originAllowed(origin, port, [])).toBe(expected);
  });

  it('accepts allowlisted origins, normalized', () => {
    expect(originAllowed('https://ops.example.test', port, ['https://OPS.example.test/'])).toBe(true);
    expect(originAllowed('https://ops.example.test:8443', port, ['https://ops.example.test'])).toBe(false);
  });
});
