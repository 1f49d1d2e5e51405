import { APICallError } from 'ai';
import { describe, expect, it } from 'vitest';
import { backoffDelay, classifyError, parseRetryAfter } from './errors.js';

function apiError(statusCode: number | undefined, message: string, headers: Record<string, string> = {}) {
  return new APICallError({
    message,
    url: 'http://x',
    requestBodyValues: {},
    statusCode,
    responseHeaders: headers,
    isRetryable: statusCode === undefined || statusCode === 429 || statusCode >= 500,
  });
}

describe('model errors', () => {
  it('reads retry-after-ms, retry-after seconds and retry-after dates', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    expect(parseRetryAfter({ 'retry-after-ms': '1500' }, now)).toBe(1500);
    expect(parseRetryAfter({ 'Retry-After': '2' }, now)).toBe(2000);
    expect(parseRetryAfter({ 'retry-after': 'Tue, 01 Jan 2030 00:00:07 GMT' }, now)).toBe(7000);
    expect(parseRetryAfter({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('classifies by status', () => {
    expect(classifyError(apiError(401, 'bad key'), false, 0)).toMatchObject({
      kind: 'auth',
      retryable: false,
      status: 401,
    });
    expect(classifyError(apiError(429, 'slow', { 'retry-after': '3' }), false, 0)).toMatchObject({
      kind: 'rate_limit',
      retryable: true,
      retryAfterMs: 3000,
    });
    expect(classifyError(apiError(503, 'down'), false, 0)).toMatchObject({ kind: 'server', retryable: true });
    expect(
      classifyError(apiError(400, "This model's maximum context length is 8192 tokens"), false, 0).kind,
    ).toBe('context_overflow');
    expect(classifyError(apiError(404, 'no such model'), false, 0).kind).toBe('bad_request');
    expect(classifyError(apiError(undefined, 'Cannot connect to API'), false, 0)).toMatchObject({
      kind: 'network',
      retryable: true,
    });
  });

  it('classifies stream error objects, aborts and the rest', () => {
    expect(classifyError({ type: 'overloaded_error', message: 'busy' }, false, 0)).toMatchObject({
      kind: 'server',
      message: 'busy',
      retryable: true,
    });
    expect(classifyError(new Error('whatever'), true, 0).kind).toBe('aborted');
    expect(classifyError(new Error('odd'), false, 0)).toMatchObject({ kind: 'unknown', retryable: false });
  });

  it('backs off exponentially within ±20 % and never beyond the cap', () => {
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, 1000, 5000, () => 0.5))).toEqual([1000, 2000, 4000, 5000]);
    expect(backoffDelay(1, 1000, 60_000, () => 0)).toBe(1600);
    expect(backoffDelay(1, 1000, 60_000, () => 1)).toBe(2400);
  });
});
