/** Fewer characters than this is weak, however random. */
export const MIN_SECRET_CHARS = 20;
/** Less estimated entropy than this (bits) is weak. */
export const MIN_SECRET_BITS = 80;

/** Shannon entropy of the character distribution, times the length: a rough upper bound in bits. */
export function entropyBits(secret: string): number {
  const chars = [...secret];
  const counts = new Map<string, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) {
    const p = n / chars.length;
    perChar -= p * Math.log2(p);
  }
  return perChar * chars.length;
}

/**
 * Why a shared secret is weak, or undefined when it looks random enough: too short, a repeated pattern
 * (`abcabcabc…`), too few distinct characters, or too little estimated entropy. A freshly generated
 * gateway token (32 random bytes, base64url) passes with room to spare.
 */
export function secretWeakness(secret: string): string | undefined {
  const chars = [...secret];
  if (chars.length < MIN_SECRET_CHARS) return `only ${chars.length} characters`;
  if (/^(.+?)\1+$/su.test(secret)) return 'a repeated pattern';
  const distinct = new Set(chars).size;
  if (distinct < 10) return `only ${distinct} distinct characters`;
  const bits = entropyBits(secret);
  if (bits < MIN_SECRET_BITS) return `about ${Math.round(bits)} bits of entropy`;
  return undefined;
}
