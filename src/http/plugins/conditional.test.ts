import { describe, expect, it } from 'vitest';
import { etagMatches, normalizedUrl, pickEncoding, weakEtagOf } from './conditional.ts';

describe('conditional requests', () => {
  it('tags bodies weakly and by content', () => {
    const t = weakEtagOf('{"a":1}');
    expect(t).toMatch(/^W\/"[A-Za-z0-9_-]{27}"$/);
    expect(weakEtagOf('{"a":1}')).toBe(t);
    expect(weakEtagOf('{"a":2}')).not.toBe(t);
  });

  it('matches If-None-Match weakly, in lists, and *', () => {
    const t = 'W/"abc"';
    expect(etagMatches('W/"abc"', t)).toBe(true);
    expect(etagMatches('"abc"', t)).toBe(true);
    expect(etagMatches('W/"x", W/"abc"', t)).toBe(true);
    expect(etagMatches('*', t)).toBe(true);
    expect(etagMatches('W/"abcd"', t)).toBe(false);
    expect(etagMatches(undefined, t)).toBe(false);
  });

  it('prefers brotli, then gzip; honours q=0 and *', () => {
    expect(pickEncoding('gzip, deflate, br')).toBe('br');
    expect(pickEncoding('gzip')).toBe('gzip');
    expect(pickEncoding('br;q=0, gzip;q=0.5')).toBe('gzip');
    expect(pickEncoding('gzip;q=0')).toBeUndefined();
    expect(pickEncoding('identity')).toBeUndefined();
    expect(pickEncoding('*')).toBe('br');
    expect(pickEncoding('*;q=0')).toBeUndefined();
    expect(pickEncoding(undefined)).toBeUndefined();
  });

  it('orders query parameters by name, keeping repeated values in order', () => {
    expect(normalizedUrl('/a?b=2&a=1')).toBe('/a?a=1&b=2');
    expect(normalizedUrl('/a?x=2&a=1&x=1')).toBe('/a?a=1&x=2&x=1');
    expect(normalizedUrl('/a?')).toBe('/a');
    expect(normalizedUrl('/a')).toBe('/a');
    expect(normalizedUrl('/a?t=2026-01-01T00:00:00Z')).toBe(normalizedUrl('/a?t=2026-01-01T00%3A00%3A00Z'));
  });
});
