import { describe, expect, it } from 'vitest';
import { chunkText } from './chunk.js';

const strip = (s: string) => s.replace(/\s+/g, '');

describe('chunkText', () => {
  it('keeps short text whole', () => {
    expect(chunkText('hello', 100)).toEqual(['hello']);
  });

  it('cuts at paragraph, then line, then word boundaries', () => {
    const para = `${'a '.repeat(30)}\n\n${'b '.repeat(30)}`;
    expect(chunkText(para, 80)).toEqual([`${'a '.repeat(30)}`, `${'b '.repeat(30)}`]);
    const lines = `${'x'.repeat(50)}\n${'y'.repeat(50)}`;
    expect(chunkText(lines, 80)).toEqual(['x'.repeat(50), 'y'.repeat(50)]);
    const words = 'word '.repeat(40).trim();
    const chunks = chunkText(words, 50);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(50);
      expect(c.startsWith('word')).toBe(true);
      expect(c.endsWith('word')).toBe(true);
    }
    expect(chunks.join(' ')).toBe(words);
  });

  it('hard-cuts a single overlong word without splitting surrogate pairs', () => {
    const emoji = '😀'.repeat(40);
    const chunks = chunkText(emoji, 25);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(25);
      expect(c).not.toMatch(/[\ud800-\udbff]$/);
    }
    expect(chunks.join('')).toBe(emoji);
  });

  it('never exceeds the limit and loses no content on random text', () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 50; round++) {
      const parts: string[] = [];
      for (let i = 0; i < 200; i++) {
        const r = rnd();
        parts.push(
          r < 0.1
            ? '\n\n'
            : r < 0.2
              ? '\n'
              : r < 0.7
                ? ' '
                : 'abcdefghij'.slice(0, 1 + Math.floor(rnd() * 10)),
        );
      }
      const text = parts.join('');
      const limit = 20 + Math.floor(rnd() * 200);
      const chunks = chunkText(text, limit);
      for (const c of chunks) expect(c.length).toBeLessThanOrEqual(limit);
      expect(strip(chunks.join(''))).toBe(strip(text));
    }
  });

  it('closes a code fence at a cut and reopens it in the next chunk', () => {
    const code = Array.from({ length: 30 }, (_, i) => `const v${i} = ${i};`).join('\n');
    const text = `Here is code:\n\n\`\`\`ts\n${code}\n\`\`\`\n\nDone.`;
    const chunks = chunkText(text, 200);
    expect(chunks.length).toBeGreaterThan(2);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(200);
      const fences = c.split('\n').filter((l) => l.trim().startsWith('```')).length;
      expect(fences % 2).toBe(0);
    }
    expect(chunks[1]?.startsWith('```ts\n')).toBe(true);
    expect(chunks.at(-1)).toContain('Done.');
  });
});
