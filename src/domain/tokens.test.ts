import { describe, expect, it } from 'vitest';
import { displayPrefix, generateToken, hashToken, hasScope, isWellFormedToken } from './tokens.ts';

describe('tokens', () => {
  it('are random, prefixed and carry a valid checksum', () => {
    const a = generateToken();
    const b = generateToken();
    expect(a).not.toBe(b);
    expect(a).toMatch(/^tms_[0-9A-Za-z]{38}$/);
    expect(isWellFormedToken(a)).toBe(true);
  });

  it('a changed character breaks the checksum', () => {
    const t = generateToken();
    const flipped = t.slice(0, 10) + (t[10] === 'a' ? 'b' : 'a') + t.slice(11);
    expect(isWellFormedToken(flipped)).toBe(false);
    expect(isWellFormedToken('read_B_66_token_2025')).toBe(false);
  });

  it('hash as lower-case SHA-256 hex (the prototype vector)', () => {
    expect(hashToken('read_B_66_token_2025')).toBe(
      '70504a13180225e98db6408e6ff1dc400e02a6c98f94f60dcf0df606f2fb3065',
    );
  });

  it('show only a short prefix', () => {
    const t = generateToken();
    expect(displayPrefix(t)).toBe(t.slice(0, 10));
  });

  it('write implies read; admin implies everything; read implies nothing more', () => {
    expect(hasScope(['write'], 'read')).toBe(true);
    expect(hasScope(['read'], 'write')).toBe(false);
    expect(hasScope(['admin'], 'write')).toBe(true);
    expect(hasScope(['read', 'write'], 'admin')).toBe(false);
  });
});
