import { lookup } from 'node:dns/promises';
import { CarapaceError } from '../shared/index.js';
import { type AddressClass, classifyAddress, parseIPv4, parseIPv6, worstClass } from './ip.js';

/** One address a host name resolves to. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** The DNS port: every address of a host name (the default uses the system resolver). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** The system resolver (getaddrinfo), all addresses in the resolver's order. */
export const systemResolver: Resolver = async (hostname) => {
  const all = await lookup(hostname, { all: true, verbatim: true });
  return all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

export interface CheckUrlOptions {
  /** Allow loopback, private, link-local and CGNAT targets (metadata and reserved stay blocked). */
  allowPrivateNetwork?: boolean;
  resolver?: Resolver;
}

/** A URL that passed the guard, and the address a connection must be pinned to. */
export interface CheckedUrl {
  url: URL;
  /** Host name without brackets or trailing dot. */
  hostname: string;
  address: string;
  family: 4 | 6;
  /** Every address the name resolved to (all checked). */
  addresses: ResolvedAddress[];
}

const MAX_URL_CHARS = 8192;
const PRIVATE_SUFFIXES = ['.localhost', '.local', '.internal', '.localdomain', '.home.arpa', '.lan'];
const PRIVATE_NAMES = ['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback'];
const METADATA_NAMES = [
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.azure.com',
];

function blocked(message: string, details: Record<string, unknown>): CarapaceError {
  return new CarapaceError('URL_BLOCKED', message, { details });
}

const WHY: Record<Exclude<AddressClass, 'public'>, string> = {
  private: 'a private, loopback or link-local address',
  reserved: 'a reserved or special-purpose address',
  metadata: 'a cloud metadata endpoint',
};

function refuse(cls: AddressClass, allowPrivate: boolean): boolean {
  return cls === 'metadata' || cls === 'reserved' || (cls === 'private' && !allowPrivate);
}

function hint(cls: AddressClass): string {
  return cls === 'private' ? ' (set tools.web.fetch.allowPrivateNetwork to allow private networks)' : '';
}

/** The class of a host name by its name alone (before DNS); undefined for ordinary names. */
export function classifyHostname(hostname: string): AddressClass | undefined {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  if (METADATA_NAMES.includes(h)) return 'metadata';
  if (h === '' || PRIVATE_NAMES.includes(h) || PRIVATE_SUFFIXES.some((s) => h.endsWith(s))) return 'private';
  return undefined;
}

function parseUrl(input: string | URL): URL {
  const text = typeof input === 'string' ? input : input.href;
  if (text.length > MAX_URL_CHARS) throw blocked(`URL is longer than ${MAX_URL_CHARS} characters`, {});
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CarapaceError('URL_INVALID', `not a valid absolute URL: ${text.slice(0, 200)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw blocked(`only http and https URLs can be fetched, not ${url.protocol}`, { protocol: url.protocol });
  }
  if (url.username !== '' || url.password !== '') {
    throw blocked('URLs with credentials (user@host) are refused', { host: url.hostname });
  }
  return url;
}

/**
 * Check a URL before any connection: http/https only, no userinfo; the host must not be (by name, IP
 * literal in any spelling, or any DNS answer) loopback/private/link-local/CGNAT/ULA — unless
 * `allowPrivateNetwork` — nor a metadata, reserved, multicast or broadcast address (never). Returns the
 * address to pin the connection to. Throws CarapaceError URL_INVALID, URL_BLOCKED or DNS_FAILED.
 */
export async function checkUrl(input: string | URL, options: CheckUrlOptions = {}): Promise<CheckedUrl> {
  const url = parseUrl(input);
  const allowPrivate = options.allowPrivateNetwork ?? false;
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const hostname = host.replace(/\.$/, '').toLowerCase();
  const details = { host: hostname };
  const literal = classifyAddress(hostname);
  if (literal !== undefined) {
    if (refuse(literal, allowPrivate))
      throw blocked(`${hostname} is ${WHY[literal as 'private']}${hint(literal)}`, details);
    const family = parseIPv6(hostname) ? 6 : 4;
    const address = family === 4 ? parseIPv4(hostname)!.join('.') : hostname;
    return { url, hostname, address, family, addresses: [{ address, family }] };
  }
  const byName = classifyHostname(hostname);
  if (byName && refuse(byName, allowPrivate)) {
    throw blocked(`host name ${hostname} is ${WHY[byName as 'private']}${hint(byName)}`, details);
  }
  let addresses: ResolvedAddress[];
  try {
    addresses = await (options.resolver ?? systemResolver)(hostname);
  } catch (err) {
    throw new CarapaceError('DNS_FAILED', `could not resolve ${hostname}`, {
      details,
      cause: err,
      retryable: true,
    });
  }
  if (addresses.length === 0)
    throw new CarapaceError('DNS_FAILED', `${hostname} has no addresses`, { details });
  let worst: AddressClass = 'public';
  for (const a of addresses) {
    const cls = classifyAddress(a.address);
    if (cls === undefined) throw blocked(`${hostname} resolved to an unparseable address`, details);
    worst = worstClass(worst, cls);
  }
  if (refuse(worst, allowPrivate)) {
    throw blocked(`${hostname} resolves to ${WHY[worst as 'private']}${hint(worst)}`, details);
  }
  const first = addresses[0]!;
  const v6 = parseIPv6(first.address) !== undefined;
  const address = v6 ? first.address : parseIPv4(first.address)!.join('.');
  return { url, hostname, address, family: v6 ? 6 : 4, addresses };
}
