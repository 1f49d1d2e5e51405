/**
 * IP address parsing and classification for the SSRF guard. Classes: `public` (fetchable), `private`
 * (loopback, RFC 1918, link-local, CGNAT, ULA … — fetchable only with allowPrivateNetwork), `metadata`
 * (cloud metadata endpoints — never), `reserved` (unspecified, multicast, broadcast, documentation and
 * other special-purpose ranges — never).
 */
export type AddressClass = 'public' | 'private' | 'metadata' | 'reserved';

const RANK: Record<AddressClass, number> = { public: 0, private: 1, reserved: 2, metadata: 3 };

/** The stricter of two classes. */
export function worstClass(a: AddressClass, b: AddressClass): AddressClass {
  return RANK[a] >= RANK[b] ? a : b;
}

function parsePart(part: string): number | undefined {
  if (part === '') return undefined;
  if (/^0x[0-9a-f]*$/i.test(part)) return part.length === 2 ? 0 : Number.parseInt(part.slice(2), 16);
  if (/^0[0-7]+$/.test(part)) return Number.parseInt(part.slice(1), 8);
  if (/^0[0-9]+$/.test(part)) return undefined;
  if (/^[0-9]+$/.test(part)) return Number.parseInt(part, 10);
  return undefined;
}

/**
 * Parse an IPv4 address in any spelling inet_aton and URL parsers accept: 1 to 4 parts, each decimal,
 * octal (`0177`) or hex (`0x7f`), the last part filling the remaining bytes (`127.1`, `2130706433`).
 * Returns the four bytes, or undefined.
 */
export function parseIPv4(text: string): number[] | undefined {
  const parts = text.endsWith('.') ? text.slice(0, -1).split('.') : text.split('.');
  if (parts.length < 1 || parts.length > 4) return undefined;
  const nums: number[] = [];
  for (const p of parts) {
    const n = parsePart(p);
    if (n === undefined || !Number.isFinite(n)) return undefined;
    nums.push(n);
  }
  const last = nums.pop()!;
  if (nums.some((n) => n > 255) || last >= 256 ** (4 - nums.length)) return undefined;
  const bytes = [...nums];
  for (let i = 3 - nums.length; i >= 0; i--) bytes.push(Math.floor(last / 256 ** i) % 256);
  return bytes;
}

/** Parse an IPv6 address (with `::` and an optional dotted IPv4 tail) into 16 bytes; zone ids are refused. */
export function parseIPv6(text: string): number[] | undefined {
  let s = text;
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (s.includes('%') || !s.includes(':')) return undefined;
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const v4 = s.slice(lastColon + 1);
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(v4)) return undefined;
    const b = v4.split('.').map(Number);
    if (b.some((n) => n > 255)) return undefined;
    tail = b;
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const fill = 8 - head.length - rest.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined;
  const all = [...head, ...Array(halves.length === 2 ? fill : 0).fill('0'), ...rest];
  const bytes: number[] = [];
  for (const g of all) {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
    const n = Number.parseInt(g, 16);
    bytes.push(n >> 8, n & 0xff);
  }
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

const inV4 = (b: number[], base: [number, number, number, number], bits: number): boolean => {
  const addr = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  const net = ((base[0] << 24) | (base[1] << 16) | (base[2] << 8) | base[3]) >>> 0;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (addr & mask) === (net & mask);
};

const V4_METADATA = [
  '169.254.169.254',
  '169.254.170.2',
  '169.254.170.23',
  '100.100.100.200',
  '168.63.129.16',
];

const V4_RANGES: [[number, number, number, number], number, AddressClass][] = [
  [[0, 0, 0, 0], 8, 'reserved'],
  [[10, 0, 0, 0], 8, 'private'],
  [[100, 64, 0, 0], 10, 'private'],
  [[127, 0, 0, 0], 8, 'private'],
  [[169, 254, 0, 0], 16, 'private'],
  [[172, 16, 0, 0], 12, 'private'],
  [[192, 0, 0, 0], 24, 'reserved'],
  [[192, 0, 2, 0], 24, 'reserved'],
  [[192, 88, 99, 0], 24, 'reserved'],
  [[192, 168, 0, 0], 16, 'private'],
  [[198, 18, 0, 0], 15, 'private'],
  [[198, 51, 100, 0], 24, 'reserved'],
  [[203, 0, 113, 0], 24, 'reserved'],
  [[224, 0, 0, 0], 4, 'reserved'],
  [[240, 0, 0, 0], 4, 'reserved'],
];

/** Classify four IPv4 bytes. */
export function classifyIPv4(b: number[]): AddressClass {
  if (V4_METADATA.includes(b.join('.'))) return 'metadata';
  for (const [base, bits, cls] of V4_RANGES) if (inV4(b, base, bits)) return cls;
  return 'public';
}

const startsWith = (b: number[], prefix: number[]) => prefix.every((x, i) => b[i] === x);
const zero = (b: number[], from: number, to: number) => b.slice(from, to).every((x) => x === 0);

/** Classify 16 IPv6 bytes, looking through every form that embeds an IPv4 address. */
export function classifyIPv6(b: number[]): AddressClass {
  const v4 = b.slice(12, 16);
  if (zero(b, 0, 16)) return 'reserved';
  if (zero(b, 0, 15) && b[15] === 1) return 'private';
  if (zero(b, 0, 10) && b[10] === 0xff && b[11] === 0xff) return classifyIPv4(v4); // ::ffff:a.b.c.d
  if (zero(b, 0, 8) && b[8] === 0xff && b[9] === 0xff && zero(b, 10, 12)) return classifyIPv4(v4); // ::ffff:0:a.b.c.d
  if (zero(b, 0, 12)) return classifyIPv4(v4); // ::a.b.c.d (IPv4-compatible)
  if (startsWith(b, [0x00, 0x64, 0xff, 0x9b]) && zero(b, 4, 12)) return classifyIPv4(v4); // NAT64 64:ff9b::/96
  if (startsWith(b, [0x00, 0x64, 0xff, 0x9b, 0x00, 0x01])) return 'private'; // local-use NAT64 64:ff9b:1::/48
  if (startsWith(b, [0xfd, 0x00, 0x0e, 0xc2]) && zero(b, 4, 14) && b[14] === 0x02 && b[15] === 0x54)
    return 'metadata'; // fd00:ec2::254
  if (startsWith(b, [0x20, 0x02])) return worstClass('public', classifyIPv4(b.slice(2, 6))); // 6to4
  if (startsWith(b, [0x20, 0x01, 0x00, 0x00])) {
    // Teredo: a tunnel to an IPv4 server and an obfuscated IPv4 client.
    const client = v4.map((x) => x ^ 0xff);
    return worstClass('private', worstClass(classifyIPv4(b.slice(4, 8)), classifyIPv4(client)));
  }
  if (startsWith(b, [0x20, 0x01, 0x0d, 0xb8])) return 'reserved'; // documentation
  if (startsWith(b, [0x20, 0x01, 0x00]) && (b[3]! & 0xe0) === 0) return 'reserved'; // 2001::/23 special purpose
  if ((b[0]! & 0xfe) === 0xfc) return 'private'; // ULA fc00::/7
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return 'private'; // link-local fe80::/10
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0xc0) return 'private'; // site-local fec0::/10
  if (b[0] === 0xff) return 'reserved'; // multicast
  if ((b[0]! & 0xe0) !== 0x20) return 'reserved'; // outside global unicast 2000::/3
  // ISATAP interface identifier (::0:5efe:a.b.c.d / ::200:5efe:a.b.c.d) embeds an IPv4 address.
  if ((b[8] === 0 || b[8] === 2) && b[9] === 0 && b[10] === 0x5e && b[11] === 0xfe) return classifyIPv4(v4);
  return 'public';
}

/** Classify an IP literal (v4 in any spelling, or v6); undefined when `text` is not an IP address. */
export function classifyAddress(text: string): AddressClass | undefined {
  const v6 = parseIPv6(text);
  if (v6) return classifyIPv6(v6);
  const v4 = parseIPv4(text);
  return v4 ? classifyIPv4(v4) : undefined;
}
