const SECRET_KEY = /(token|password|passwd|passphrase|secret|apikey|privatekey|credential)s?$/;

/**
 * True for property names that conventionally hold secrets (`token`, `botToken`, `password`, `apiKey`,
 * `api_key`, `signingSecret`, `privateKey` …), case-insensitive, ignoring `_` and `-`.
 */
export function looksSecretKey(key: string): boolean {
  return SECRET_KEY.test(key.toLowerCase().replace(/[-_]/g, ''));
}
