import { describe, expect, it } from 'vitest';
import { lockHolderLive } from './host-probe.js';
import { satisfiesRange } from './node-version.js';
import { entropyBits, secretWeakness } from './secret-strength.js';
import { installSteps } from './skills-install.js';

describe('secretWeakness', () => {
  it('passes random tokens and names what is weak about the others', () => {
    expect(secretWeakness('Zq3vN8xLr2Tb6YpWk9Hs4Jd7Fg1Mc5Qe0Ua')).toBeUndefined();
    expect(secretWeakness('short')).toBe('only 5 characters');
    expect(secretWeakness('abcabcabcabcabcabcabcabc')).toBe('a repeated pattern');
    expect(secretWeakness('aaaaaaaaaaaaaaaaaaaaaaab')).toBe('only 2 distinct characters');
    expect(secretWeakness('0123456789012345678900')).toMatch(/bits of entropy|repeated/);
    expect(entropyBits('abcd')).toBeCloseTo(8);
  });
});

describe('satisfiesRange', () => {
  it('reads the usual engines ranges', () => {
    expect(satisfiesRange('20.20.2', '>=20.19')).toBe(true);
    expect(satisfiesRange('20.18.9', '>=20.19')).toBe(false);
    expect(satisfiesRange('24.1.0', '>=20.19 <25')).toBe(true);
    expect(satisfiesRange('25.0.0', '>=20.19 <25')).toBe(false);
    expect(satisfiesRange('22.3.0', '^20.19 || >=22')).toBe(true);
    expect(satisfiesRange('21.0.0', '^20.19 || >=22')).toBe(false);
    expect(satisfiesRange('20.1.0', 'lts/*')).toBeUndefined();
  });
});

describe('lockHolderLive', () => {
  const lock = { pid: 1, port: null, host: null, startedAt: 0, processStartedAt: 1_000_000 };
  it('needs a live pid that started when the lock says', () => {
    expect(lockHolderLive(lock, { alive: false })).toBe(false);
    expect(lockHolderLive(lock, { alive: true, startedAt: 1_000_400 })).toBe(true);
    expect(lockHolderLive(lock, { alive: true, startedAt: 9_000_000 })).toBe(false);
    expect(lockHolderLive({ ...lock, processStartedAt: undefined }, { alive: true, startedAt: 5 })).toBe(
      true,
    );
  });
});

describe('installSteps', () => {
  it('finds install, metadata.install and metadata.<namespace>.install', () => {
    expect(installSteps({ install: 'make install' })).toEqual(['make install']);
    expect(installSteps({ metadata: { openclaw: { install: [{ kind: 'node', package: 'x' }] } } })).toEqual([
      'node: x',
    ]);
    expect(installSteps({ metadata: { requires: { bins: ['git'] } } })).toEqual([]);
  });
});
