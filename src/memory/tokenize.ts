/** Words too common to help ranking (English; other languages pass through unchanged). */
const STOPWORDS = new Set(
  (
    'a an and are as at be been but by can did do does for from had has have he her his i if in into is it ' +
    'its me my no not of on or our she so than that the their them then there these they this to too us ' +
    'was we were what when where which who will with you your'
  ).split(' '),
);

/** A light English stemmer: plural and possessive endings only, so `meetings` finds `meeting`. */
function stem(word: string): string {
  if (word.length <= 3 || !/[a-z]$/.test(word)) return word;
  if (word.endsWith('ies') && word.length > 4) return `${word.slice(0, -3)}y`;
  if (word.endsWith('sses')) return word.slice(0, -2);
  if (word.endsWith('s') && !word.endsWith('ss') && !word.endsWith('us') && !word.endsWith('is')) {
    return word.slice(0, -1);
  }
  return word;
}

/**
 * The search terms of a text: letters and digits in any script, lower-cased (NFKC), stop words dropped,
 * plurals folded. Used alike for chunks and queries, so both sides agree.
 */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const m of text
    .normalize('NFKC')
    .toLowerCase()
    .matchAll(/[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu)) {
    const word = m[0].replace(/['’]s$/u, '').replace(/['’]/gu, '');
    if (word.length < 2 && !/\p{N}/u.test(word)) continue;
    if (STOPWORDS.has(word)) continue;
    out.push(stem(word));
  }
  return out;
}

/** Term counts of a text. */
export function termCounts(text: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const t of tokenize(text)) counts[t] = (counts[t] ?? 0) + 1;
  return counts;
}
