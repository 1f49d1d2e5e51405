/** A document as BM25 sees it: its term counts and length in terms. */
export interface Bm25Doc {
  terms: Readonly<Record<string, number>>;
  length: number;
}

/** Okapi BM25 parameters (the usual defaults). */
export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

/**
 * BM25 scores of every document for the query terms (0 where none occurs). Document frequencies and the
 * average length are computed over `docs`, which is the whole corpus of one agent's memory files.
 */
export function bm25Scores(query: readonly string[], docs: readonly Bm25Doc[]): number[] {
  const scores = new Array<number>(docs.length).fill(0);
  if (docs.length === 0) return scores;
  const terms = [...new Set(query)];
  const avg = docs.reduce((n, d) => n + d.length, 0) / docs.length || 1;
  for (const term of terms) {
    let df = 0;
    for (const d of docs) if (d.terms[term]) df++;
    if (df === 0) continue;
    const idf = Math.log(1 + (docs.length - df + 0.5) / (df + 0.5));
    docs.forEach((d, i) => {
      const tf = d.terms[term];
      if (!tf) return;
      scores[i]! += (idf * tf * (BM25_K1 + 1)) / (tf + BM25_K1 * (1 - BM25_B + (BM25_B * d.length) / avg));
    });
  }
  return scores;
}

/** Cosine similarity of two vectors of the same length (0 when either is all zeros). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}
