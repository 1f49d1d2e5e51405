import { describe, expect, it } from 'vitest';
import { moduleExports } from './module-exports.js';

describe('moduleExports', () => {
  const api = { parse: () => 1 };

  it('takes the namespace when it has the export asked for', () => {
    const ns = { ...api, default: { other: true } } as unknown as typeof api;
    expect(moduleExports(ns, 'parse')).toBe(ns);
  });

  it('takes `default` when only it has the exports (a bundled CommonJS package)', () => {
    const ns = { default: api } as unknown as typeof api;
    expect(moduleExports(ns, 'parse')).toBe(api);
  });

  it('gives the namespace back when neither has it', () => {
    const ns = {} as typeof api;
    expect(moduleExports(ns, 'parse')).toBe(ns);
  });
});
