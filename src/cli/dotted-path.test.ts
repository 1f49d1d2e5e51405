import { describe, expect, it } from 'vitest';
import { isCarapaceError } from '../shared/index.js';
import { getAt, parseDottedPath, patchFor, setAt } from './dotted-path.js';

describe('dotted config paths', () => {
  it('parses names, indexes and quoted keys', () => {
    expect(parseDottedPath('gateway.auth.mode')).toEqual(['gateway', 'auth', 'mode']);
    expect(parseDottedPath('agents.list[0].id')).toEqual(['agents', 'list', 0, 'id']);
    expect(parseDottedPath('a["b.c"].d')).toEqual(['a', 'b.c', 'd']);
  });

  it('rejects malformed paths with a usage error that shows the syntax', () => {
    for (const bad of ['', 'a..b', 'a.', '.a', 'a[x]', 'a[0', 'a[0]b']) {
      let err: unknown;
      try {
        parseDottedPath(bad);
      } catch (e) {
        err = e;
      }
      expect(isCarapaceError(err, 'INVALID_ARGUMENT')).toBe(true);
      expect((err as Error).message).toContain('agents.list[0].id');
    }
  });

  it('sets, creates, appends and removes without touching the input', () => {
    const doc = { agents: { list: [{ id: 'a' }] } };
    expect(setAt(doc, ['agents', 'list', 1], { id: 'b' })).toEqual({
      agents: { list: [{ id: 'a' }, { id: 'b' }] },
    });
    expect(setAt(doc, ['gateway', 'port'], 1)).toEqual({
      agents: { list: [{ id: 'a' }] },
      gateway: { port: 1 },
    });
    expect(setAt(doc, ['agents', 'list', 0], undefined)).toEqual({ agents: { list: [] } });
    expect(doc).toEqual({ agents: { list: [{ id: 'a' }] } });
    expect(getAt(doc, ['agents', 'list', 0, 'id'])).toBe('a');
    expect(getAt(doc, ['agents', 'nope', 0])).toBeUndefined();
  });

  it('keeps __proto__ as a plain key and builds merge patches for key-only paths', () => {
    const out = setAt({}, ['__proto__', 'polluted'], true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect(patchFor(['logging', 'level'], 'debug')).toEqual({ logging: { level: 'debug' } });
    expect(patchFor(['agents', 'list', 0], {})).toBeUndefined();
  });
});
