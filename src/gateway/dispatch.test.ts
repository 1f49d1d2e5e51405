import { describe, expect, it } from 'vitest';
import { nestedDeeperThan } from '../shared/index.js';
import { MAX_PARAMS_DEPTH } from './dispatch.js';

const nest = (levels: number, leaf: unknown = 1, array = false): unknown => {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = array ? [v] : { a: v };
  return v;
};

describe('nestedDeeperThan', () => {
  it('counts the levels of objects and arrays, the top one included', () => {
    expect(nestedDeeperThan({}, 0)).toBe(true);
    expect(nestedDeeperThan('text', 0)).toBe(false);
    expect(nestedDeeperThan(nest(MAX_PARAMS_DEPTH), MAX_PARAMS_DEPTH)).toBe(false);
    expect(nestedDeeperThan(nest(MAX_PARAMS_DEPTH + 1), MAX_PARAMS_DEPTH)).toBe(true);
    expect(nestedDeeperThan({ wide: Array.from({ length: 1000 }, () => ({ x: [1] })) }, 3)).toBe(true);
    expect(nestedDeeperThan({ wide: Array.from({ length: 1000 }, () => ({ x: [1] })) }, 4)).toBe(false);
    expect(nestedDeeperThan({ ok: 1, deep: nest(10, 1, true) }, 5)).toBe(true);
  });

  it('walks 100,000 levels without overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    expect(nestedDeeperThan(deep, MAX_PARAMS_DEPTH)).toBe(true);
  });
});
