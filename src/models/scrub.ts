/** What a scrubbed secret is replaced with. */
export const SCRUBBED = '[REDACTED]';

/** Provider messages that echo a (partly masked) key, e.g. "Incorrect API key provided: sk-ab***xyz". */
const KEY_ECHO = /(api key provided:\s*)[^\s.,;]+/gi;

function variants(secret: string): string[] {
  const out = new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]);
  out.add(Buffer.from(secret, 'utf8').toString('base64'));
  out.add(Buffer.from(secret, 'utf8').toString('base64url'));
  return [...out].sort((a, b) => b.length - a.length);
}

/**
 * `text` with every occurrence of each secret replaced by SCRUBBED: raw, JSON-escaped, URL-encoded and
 * base64 forms, plus the tail of messages that echo an API key. Secrets shorter than 4 characters are
 * ignored (they would mask ordinary words).
 */
export function scrubSecrets(text: string, secrets: Iterable<string>): string {
  let out = text.replace(KEY_ECHO, `$1${SCRUBBED}`);
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    for (const form of variants(secret)) out = out.split(form).join(SCRUBBED);
  }
  return out;
}
