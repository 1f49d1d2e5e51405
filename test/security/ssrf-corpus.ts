/**
 * The SEC-06 host corpus: private, loopback, link-local, reserved and metadata addresses in every spelling
 * both SSRF suites use (dotted IPv4, legacy octal/hex/short forms, IPv6 with embedded IPv4, internal host
 * names). Each entry is a URL host (IPv6 in brackets) and the trick it tries. Shared by
 * test/security/sec-06-ssrf.test.ts (through a real gateway) and src/tools/ssrf.battery.test.ts (the guard
 * with a scripted resolver); URL-level tricks, redirects and DNS fixtures stay in each suite.
 */

/** One host spelling the SSRF guard must refuse. */
export interface SsrfHost {
  /** The host as written in a URL (`http://${host}:port/`); IPv6 in brackets. */
  host: string;
  kind: 'ipv4' | 'legacy' | 'ipv6' | 'name';
  /** What the spelling tries. */
  trick: string;
}

const v4: [string, string][] = [
  ['127.0.0.1', 'loopback'],
  ['127.0.0.2', 'loopback other than .1'],
  ['127.255.255.254', 'top of 127/8'],
  ['0.0.0.0', 'unspecified (reaches localhost)'],
  ['0.1.2.3', '"this network" 0/8'],
  ['10.0.0.1', 'RFC 1918 10/8'],
  ['10.255.255.255', 'top of 10/8'],
  ['172.16.0.1', 'RFC 1918 172.16/12'],
  ['172.31.255.255', 'top of 172.16/12'],
  ['192.168.0.1', 'RFC 1918 192.168/16'],
  ['192.168.255.255', 'top of 192.168/16'],
  ['169.254.0.1', 'link-local'],
  ['169.254.169.254', 'AWS/GCP/Azure metadata'],
  ['169.254.170.2', 'ECS task metadata'],
  ['100.64.0.1', 'CGNAT 100.64/10'],
  ['100.127.255.255', 'top of CGNAT'],
  ['100.100.100.200', 'Alibaba metadata'],
  ['198.18.0.1', 'benchmarking 198.18/15'],
  ['198.19.255.255', 'top of 198.18/15'],
  ['192.0.2.1', 'TEST-NET-1'],
  ['198.51.100.1', 'TEST-NET-2'],
  ['203.0.113.1', 'TEST-NET-3'],
  ['192.0.0.1', 'IETF protocol assignments 192.0.0/24'],
  ['192.88.99.1', '6to4 relay anycast'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast (SSDP)'],
  ['255.255.255.255', 'limited broadcast'],
  ['240.0.0.1', 'reserved 240/4'],
];

const legacy: [string, string][] = [
  ['0177.0.0.1', 'octal octet'],
  ['0x7f.0.0.1', 'hex octet'],
  ['0x7f000001', 'one hex number'],
  ['127.1', 'two parts, the last fills three bytes'],
  ['127.0.1', 'three parts'],
  ['2130706433', 'one decimal number'],
  ['017700000001', 'one octal number'],
  ['0x7f.1', 'hex and two parts'],
  ['0300.0250.0.1', 'octal 192.168.0.1'],
  ['0xa9fea9fe', 'hex metadata address'],
  ['2852039166', 'decimal metadata address'],
  ['0251.0376.0251.0376', 'octal metadata address'],
  ['127.000.000.001', 'zero-padded octets'],
  ['127.0.0.1.', 'trailing dot'],
  ['0', 'one number 0 (0.0.0.0)'],
  ['127。0。0。1', 'ideographic full stops (IDNA maps to dots)'],
];

const v6: [string, string][] = [
  ['::1', 'loopback'],
  ['::', 'unspecified'],
  ['::ffff:127.0.0.1', 'IPv4-mapped, dotted'],
  ['::ffff:7f00:1', 'IPv4-mapped, hex'],
  ['0:0:0:0:0:ffff:127.0.0.1', 'IPv4-mapped, full form'],
  ['::ffff:10.0.0.1', 'IPv4-mapped RFC 1918'],
  ['::ffff:169.254.169.254', 'IPv4-mapped metadata'],
  ['::ffff:0:7f00:1', 'IPv4-translated ::ffff:0:0/96'],
  ['::127.0.0.1', 'IPv4-compatible (deprecated)'],
  ['64:ff9b::7f00:1', 'NAT64 64:ff9b::/96 to loopback, hex'],
  ['64:ff9b::127.0.0.1', 'NAT64 to loopback, dotted'],
  ['64:ff9b::a9fe:a9fe', 'NAT64 to metadata'],
  ['64:ff9b:1::a00:1', 'local-use NAT64 64:ff9b:1::/48 to 10.0.0.1'],
  ['64:ff9b:1::1', 'local-use NAT64 64:ff9b:1::/48'],
  ['2002:7f00:1::1', '6to4 embedding loopback'],
  ['2002:7f00:1::', '6to4 embedding loopback, zero host'],
  ['2002:a9fe:a9fe::1', '6to4 embedding metadata'],
  ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'Teredo (obfuscated 127.0.0.1 client)'],
  ['fe80::1', 'link-local'],
  ['febf::1', 'top of link-local fe80::/10'],
  ['fe80::1%25lo', 'link-local with zone id'],
  ['fe80::1%25eth0', 'link-local with interface zone id'],
  ['fe80::5efe:7f00:1', 'link-local ISATAP embedding loopback'],
  ['::5efe:7f00:1', 'ISATAP identifier without prefix'],
  ['2600::5efe:7f00:1', 'global ISATAP embedding loopback'],
  ['fc00::1', 'ULA fc00::/7'],
  ['fd00::1', 'ULA fd00::/8'],
  ['fd12:3456::1', 'ULA, random global id'],
  ['fd00:ec2::254', 'AWS IPv6 metadata'],
  ['fec0::1', 'site-local (deprecated)'],
  ['ff02::1', 'multicast'],
  ['100::1', 'discard-only 100::/64'],
  ['2001:db8::1', 'documentation'],
];

const names: [string, string][] = [
  ['localhost', 'loopback name'],
  ['LOCALHOST', 'upper case'],
  ['localhost.', 'trailing dot'],
  ['api.localhost', 'subdomain of localhost'],
  ['foo.localhost', 'subdomain of localhost'],
  ['a.b.localhost', 'nested subdomain of localhost'],
  ['ⓛⓞⓒⓐⓛⓗⓞⓢⓣ', 'enclosed letters (IDNA maps to localhost)'],
  ['printer.local', 'mDNS .local'],
  ['db.internal', '.internal'],
  ['x.home.arpa', 'home network .home.arpa'],
  ['metadata', 'short metadata name'],
  ['metadata.google.internal', 'GCP metadata name'],
  ['metadata.google.internal.', 'GCP metadata name, trailing dot'],
  ['instance-data.ec2.internal', 'AWS metadata name'],
];

const entries = (kind: SsrfHost['kind'], list: [string, string][]): SsrfHost[] =>
  list.map(([host, trick]) => ({ host: kind === 'ipv6' ? `[${host}]` : host, kind, trick }));

/** Every host spelling, each once: IPv4, legacy IPv4, IPv6, names (91). */
export const SSRF_HOSTS: readonly SsrfHost[] = [
  ...entries('ipv4', v4),
  ...entries('legacy', legacy),
  ...entries('ipv6', v6),
  ...entries('name', names),
];
