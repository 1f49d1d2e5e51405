import { describe, expect, it } from 'vitest';
import { classifyAddress, parseIPv4, parseIPv6 } from './ip.js';
import { classifyHostname } from './ssrf.js';

describe('parseIPv4', () => {
  it('reads every legacy spelling the way inet_aton does', () => {
    const loop = [127, 0, 0, 1];
    for (const s of [
      '127.0.0.1',
      '0177.0.0.1',
      '0x7f.0.0.1',
      '0x7f000001',
      '127.1',
      '127.0.1',
      '2130706433',
      '017700000001',
      '0x7f.1',
      '127.0.0.1.',
    ]) {
      expect(parseIPv4(s), s).toEqual(loop);
    }
    expect(parseIPv4('8.8.2056')).toEqual([8, 8, 8, 8]);
    expect(parseIPv4('0')).toEqual([0, 0, 0, 0]);
  });

  it('refuses what is not an IPv4 address', () => {
    for (const s of [
      '256.0.0.1',
      '1.2.3.4.5',
      'example.com',
      '',
      '08.0.0.1',
      '1.2.3.0x100',
      '4294967296',
      '1..2.3',
    ]) {
      expect(parseIPv4(s), s).toBeUndefined();
    }
  });
});

describe('parseIPv6', () => {
  it('expands ::, dotted tails and brackets, and refuses zone ids', () => {
    expect(parseIPv6('::1')).toEqual([...Array(15).fill(0), 1]);
    expect(parseIPv6('[::ffff:127.0.0.1]')?.slice(10)).toEqual([0xff, 0xff, 127, 0, 0, 1]);
    expect(parseIPv6('1:2:3:4:5:6:7:8')?.[15]).toBe(8);
    expect(parseIPv6('fe80::1%eth0')).toBeUndefined();
    expect(parseIPv6('1::2::3')).toBeUndefined();
    expect(parseIPv6('1:2:3:4:5:6:7:8:9')).toBeUndefined();
    expect(parseIPv6('127.0.0.1')).toBeUndefined();
  });
});

describe('classifyAddress', () => {
  const cases: [string, string][] = [
    ['8.8.8.8', 'public'],
    ['93.184.216.34', 'public'],
    ['127.0.0.1', 'private'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['198.18.0.1', 'private'],
    ['169.254.1.1', 'private'],
    ['169.254.169.254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['0.0.0.0', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['224.0.0.1', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['2606:4700::1111', 'public'],
    ['::1', 'private'],
    ['::', 'reserved'],
    ['::ffff:127.0.0.1', 'private'],
    ['::ffff:8.8.8.8', 'public'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['64:ff9b::8.8.8.8', 'public'],
    ['64:ff9b:1::1', 'private'],
    ['2002:c0a8:0101::1', 'private'],
    ['2002:0808:0808::1', 'public'],
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'private'],
    ['2600::5efe:7f00:1', 'private'],
    ['fc00::1', 'private'],
    ['fe80::1', 'private'],
    ['fec0::1', 'private'],
    ['fd00:ec2::254', 'metadata'],
    ['ff02::1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['4000::1', 'reserved'],
  ];
  it.each(cases)('%s is %s', (addr, cls) => {
    expect(classifyAddress(addr)).toBe(cls);
  });

  it('is undefined for names', () => {
    expect(classifyAddress('example.com')).toBeUndefined();
  });
});

describe('classifyHostname', () => {
  it('knows local and metadata names, with or without a trailing dot', () => {
    expect(classifyHostname('localhost.')).toBe('private');
    expect(classifyHostname('a.b.LOCALHOST')).toBe('private');
    expect(classifyHostname('nas.local')).toBe('private');
    expect(classifyHostname('db.internal')).toBe('private');
    expect(classifyHostname('metadata.google.internal')).toBe('metadata');
    expect(classifyHostname('example.com')).toBeUndefined();
    expect(classifyHostname('localhost.example.com')).toBeUndefined();
  });
});
