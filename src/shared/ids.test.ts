import { describe, expect, it } from 'vitest';
import { newId, newToken, shortId } from './ids.js';

describe('ids', () => {
  it('shortId gives 12 lowercase hex digits, all of them random', () => {
    const ids = Array.from({ length: 5000 }, () => shortId());
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // Every position varies (none is a fixed UUID version or variant digit).
    for (let i = 0; i < 12; i++) expect(new Set(ids.map((id) => id[i])).size).toBe(16);
  });

  it('newId is a v4 UUID and newToken is base64url of the asked entropy', () => {
    expect(newId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Buffer.from(newToken(16), 'base64url')).toHaveLength(16);
    expect(newToken()).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
