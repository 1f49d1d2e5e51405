import { describe, expect, it } from 'vitest';
import { ConnectParamsSchema, RequestFrameSchema } from './index.js';
import { compileValidator, formatIssues } from './validate.js';

describe('compileValidator', () => {
  const frame = compileValidator(RequestFrameSchema);

  it('accepts a request frame with and without params', () => {
    expect(frame.check({ type: 'req', id: '1', method: 'health' })).toBe(true);
    expect(frame.check({ type: 'req', id: '1', method: 'health', params: { a: 1 } })).toBe(true);
  });

  it('names unexpected top-level keys at root', () => {
    const issues = frame.issues({ type: 'req', id: '1', method: 'health', bogus: 1 });
    expect(formatIssues(issues)).toBe("at root: unexpected property 'bogus'");
  });

  it('names missing and mistyped fields with their paths', () => {
    const connect = compileValidator(ConnectParamsSchema);
    const text = formatIssues(connect.issues({ minProtocol: '3', client: { id: 'cli' } }));
    expect(text).toContain("at root: missing required property 'maxProtocol'");
    expect(text).toContain('at /minProtocol: must be integer');
    expect(text).toContain("at /client: missing required property 'version'");
  });

  it('caps the number of issues it prints', () => {
    const issues = Array.from({ length: 8 }, (_, i) => ({ path: `/${i}`, message: 'bad' }));
    expect(formatIssues(issues, 3)).toBe('at /0: bad; at /1: bad; at /2: bad; and 5 more');
  });
});
