import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { assertFetchableUrl, isForbiddenAddress } from './address-guard.ts';
import { guardLookup } from './fetch-source.ts';
import { ALLOWED_URLS, FORBIDDEN_URLS } from '../../test/support/ssrf-cases.ts';

describe('SSRF address guard', () => {
  it.each(FORBIDDEN_URLS)('refuses %s before connecting', (url) => {
    expect(() => assertFetchableUrl(url)).toThrow(/link-local or metadata/);
  });

  it.each(ALLOWED_URLS)('allows %s', (url) => {
    expect(assertFetchableUrl(url).href).toBe(new URL(url).href);
  });

  it('refuses URLs with credentials, other protocols and non-URLs', () => {
    expect(() => assertFetchableUrl('http://user:pass@127.0.0.1:8001/')).toThrow(/credentials/);
    expect(() => assertFetchableUrl('http://user@gateway.example.com/')).toThrow(/credentials/);
    expect(() => assertFetchableUrl('file:///etc/passwd')).toThrow(/protocol file:/);
    expect(() => assertFetchableUrl('gopher://x')).toThrow(/protocol/);
    expect(() => assertFetchableUrl('not a url')).toThrow(/not a URL/);
  });

  it('classifies bare resolved addresses in every notation (what DNS can answer)', () => {
    for (const ip of [
      '169.254.169.254',
      '::ffff:169.254.169.254',
      '::ffff:a9fe:a9fe',
      '64:ff9b::a9fe:a9fe',
      '2002:a9fe:a9fe::',
      'fe80::1%eth0',
      'fe80::1',
      '::',
      '0.0.0.0',
    ])
      expect(isForbiddenAddress(ip), ip).toBe(true);
    for (const ip of [
      '127.0.0.1',
      '::1',
      '10.0.0.5',
      '::ffff:10.0.0.5',
      'fd00::1',
      '2001:db8::1',
      'example.com',
    ])
      expect(isForbiddenAddress(ip), ip).toBe(false);
  });
});

describe('guarded lookup (fetch time, every DNS answer)', () => {
  const lookupWith = (answers: LookupAddress[]) =>
    new Promise<{ err: NodeJS.ErrnoException | null; addresses: unknown }>((resolve) =>
      guardLookup((_h, _o, cb) => cb(null, answers))('source.example', { all: true }, (err, addresses) =>
        resolve({ err, addresses }),
      ),
    );

  it.each([
    ['169.254.169.254', 4],
    ['::ffff:169.254.169.254', 6],
    ['::ffff:a9fe:a9fe', 6],
    ['64:ff9b::a9fe:a9fe', 6],
    ['2002:a9fe:a9fe::1', 6],
    ['fe80::abcd', 6],
    ['fd00:ec2::254', 6],
  ] as const)('refuses a name that resolves to %s, even next to a good answer', async (address, family) => {
    const r = await lookupWith([
      { address: '10.0.0.7', family: 4 },
      { address, family },
    ]);
    expect(r.err?.code).toBe('EFORBIDDEN');
    expect(r.err?.message).toContain(address);
  });

  it('passes loopback and private answers through', async () => {
    const answers = [
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ];
    const r = await lookupWith(answers);
    expect(r.err).toBeNull();
    expect(r.addresses).toEqual(answers);
  });
});
