import { describe, expect, it } from 'vitest';
import { assertFetchableUrl, isForbiddenAddress } from './fetch-source.ts';

describe('SSRF guard', () => {
  it('refuses link-local and cloud metadata addresses, v4, v6 and v4-mapped', () => {
    for (const ip of [
      '169.254.169.254',
      '169.254.0.1',
      'fe80::1',
      'FE80::abcd',
      'febf::1',
      '::ffff:169.254.169.254',
      'fd00:ec2::254',
      '100.100.100.200',
      '0.0.0.0',
    ])
      expect(isForbiddenAddress(ip), ip).toBe(true);
  });

  it('allows loopback, private and public addresses (the simulator and gateways live there)', () => {
    for (const ip of ['127.0.0.1', '::1', '10.0.0.5', '192.168.1.10', '172.16.0.1', '8.8.8.8', '2001:db8::1'])
      expect(isForbiddenAddress(ip), ip).toBe(false);
  });

  it('checks URLs before connecting: protocol, metadata names, IP literals', () => {
    expect(assertFetchableUrl('http://127.0.0.1:8001/temperature/current').port).toBe('8001');
    expect(() => assertFetchableUrl('http://169.254.169.254/latest/meta-data/')).toThrow(
      /link-local or metadata/,
    );
    expect(() => assertFetchableUrl('http://[fe80::1]:8080/x')).toThrow(/link-local or metadata/);
    expect(() => assertFetchableUrl('http://metadata.google.internal/computeMetadata/v1/')).toThrow(
      /metadata/,
    );
    expect(() => assertFetchableUrl('http://METADATA.google.internal./x')).toThrow(/metadata/);
    expect(() => assertFetchableUrl('file:///etc/passwd')).toThrow(/protocol file:/);
    expect(() => assertFetchableUrl('gopher://x')).toThrow(/protocol/);
    expect(() => assertFetchableUrl('not a url')).toThrow(/not a URL/);
  });
});
