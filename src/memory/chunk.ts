/** A piece of a memory file: 1-based inclusive line range and its text. */
export interface Chunk {
  startLine: number;
  endLine: number;
  text: string;
}

const HEADING = /^#{1,6}\s/;

/**
 * Cut Markdown into chunks of at most `maxChars` (a single longer line stays whole): a heading starts a
 * new chunk, a blank line ends one that is at least half full. Blank lines at the edges are dropped, so
 * each range starts and ends on text.
 */
export function chunkMarkdown(text: string, maxChars: number): Chunk[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const chunks: Chunk[] = [];
  let start = 0;
  let size = 0;
  const flush = (end: number) => {
    let s = start;
    let e = end;
    while (s < e && lines[s]!.trim() === '') s++;
    while (e > s && lines[e - 1]!.trim() === '') e--;
    if (e > s) chunks.push({ startLine: s + 1, endLine: e, text: lines.slice(s, e).join('\n') });
    start = end;
    size = 0;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (i > start && (HEADING.test(line) || size + line.length + 1 > maxChars)) flush(i);
    size += line.length + 1;
    if (line.trim() === '' && size >= maxChars / 2) flush(i + 1);
  }
  flush(lines.length);
  return chunks;
}
