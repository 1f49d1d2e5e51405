import { describe, expect, it } from 'vitest';
import { BoundedMap } from './bounded-map.js';

describe('BoundedMap', () => {
  it('evicts the oldest entries beyond max, in insertion order', () => {
    const m = new BoundedMap<string, number>(3);
    for (const [i, k] of ['a', 'b', 'c', 'd', 'e'].entries()) m.set(k, i);
    expect(m.size).toBe(3);
    expect([...m.keys()]).toEqual(['c', 'd', 'e']);
    expect(m.has('a')).toBe(false);
    expect(m.get('b')).toBeUndefined();
    expect(m.get('e')).toBe(4);
  });

  it('moves a key set again to the newest place, so it outlives older ones', () => {
    const m = new BoundedMap<string, number>(3);
    m.set('a', 1).set('b', 2).set('c', 3);
    m.set('a', 10);
    expect([...m.keys()]).toEqual(['b', 'c', 'a']);
    m.set('d', 4);
    expect([...m]).toEqual([
      ['c', 3],
      ['a', 10],
      ['d', 4],
    ]);
  });

  it('overwrites an existing key without growing or evicting', () => {
    const m = new BoundedMap<string, string>(2);
    m.set('a', 'x').set('b', 'y');
    m.set('b', 'z');
    expect(m.size).toBe(2);
    expect([...m.entries()]).toEqual([
      ['a', 'x'],
      ['b', 'z'],
    ]);
  });

  it('does not refresh on get, has or iteration', () => {
    const m = new BoundedMap<string, number>(2);
    m.set('a', 1).set('b', 2);
    expect(m.get('a')).toBe(1);
    expect(m.has('a')).toBe(true);
    expect([...m.values()]).toEqual([1, 2]);
    m.set('c', 3);
    expect([...m.keys()]).toEqual(['b', 'c']);
  });

  it('keeps only the newest entry with max 1, and nothing with max 0', () => {
    const one = new BoundedMap<string, number>(1);
    one.set('a', 1).set('b', 2);
    expect([...one]).toEqual([['b', 2]]);
    one.set('b', 3);
    expect([...one]).toEqual([['b', 3]]);

    const none = new BoundedMap<string, number>(0);
    none.set('a', 1);
    expect(none.size).toBe(0);
    expect(none.get('a')).toBeUndefined();
  });

  it('delete frees a place, so the next set evicts nothing', () => {
    const m = new BoundedMap<string, number>(2);
    m.set('a', 1).set('b', 2);
    expect(m.delete('a')).toBe(true);
    expect(m.delete('a')).toBe(false);
    m.set('c', 3);
    expect([...m.keys()]).toEqual(['b', 'c']);
  });

  it('applies a lowered max at the next set, evicting down to it', () => {
    const m = new BoundedMap<number, number>(5);
    for (let i = 0; i < 5; i++) m.set(i, i);
    m.max = 2;
    expect(m.size).toBe(5);
    m.set(5, 5);
    expect([...m.keys()]).toEqual([4, 5]);
  });
});
