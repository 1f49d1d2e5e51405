import { describe, expect, it } from 'vitest';
import { chunkMarkdown } from './chunk.js';
import { tokenize } from './tokenize.js';

describe('chunkMarkdown', () => {
  it('starts a chunk at each heading and reports 1-based line ranges without blank edges', () => {
    const text = '# People\n- Anna is my sister\n\n# Food\n- likes ramen\n- hates olives\n\n';
    expect(chunkMarkdown(text, 1000)).toEqual([
      { startLine: 1, endLine: 2, text: '# People\n- Anna is my sister' },
      { startLine: 4, endLine: 6, text: '# Food\n- likes ramen\n- hates olives' },
    ]);
  });

  it('keeps chunks within maxChars (a single longer line stays whole)', () => {
    const lines = Array.from({ length: 40 }, (_, i) => `- fact number ${i} about something`);
    const long = 'x'.repeat(500);
    const chunks = chunkMarkdown([...lines, long].join('\n'), 200);
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks.slice(0, -1)) expect(c.text.length).toBeLessThanOrEqual(200);
    expect(chunks.at(-1)).toEqual({ startLine: 41, endLine: 41, text: long });
    // Ranges are contiguous and cover every line once.
    chunks.slice(1).forEach((c, i) => {
      expect(c.startLine).toBe(chunks[i]!.endLine + 1);
    });
  });
});

describe('tokenize', () => {
  it('lower-cases, drops stop words and folds plurals and possessives', () => {
    expect(tokenize("The Dentist's appointments are on Tuesdays, at 10:30!")).toEqual([
      'dentist',
      'appointment',
      'tuesday',
      '10',
      '30',
    ]);
    expect(tokenize('Café Müller — 東京')).toEqual(['café', 'müller', '東京']);
  });
});
