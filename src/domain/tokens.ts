import { createHash, randomBytes } from 'node:crypto';

export type Scope = 'read' | 'write' | 'admin';
export const SCOPES: readonly Scope[] = ['read', 'write', 'admin'];
const TOKEN_PREFIX = 'tms_';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BODY_LENGTH = 32; // 32 base62 chars ≈ 190 bits of randomness
const CHECKSUM_LENGTH = 6;

const toBase62 = (n: number, width: number): string => {
  let out = '';
  let v = n >>> 0;
  for (let i = 0; i < width; i++) {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out;
};

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

const crc32 = (s: string): number => {
  let c = 0xffffffff;
  for (const byte of Buffer.from(s, 'utf8')) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

const randomBase62 = (length: number): string => {
  // Rejection sampling keeps every character uniformly distributed.
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out += BASE62[b % 62];
    }
  }
  return out;
};

/**
 * A new token: `tms_` + 32 random base62 characters + a 6-character CRC32 checksum, so secret
 * scanners and our own parser can tell a real token from a typo without a database lookup.
 */
export const generateToken = (): string => {
  const body = randomBase62(BODY_LENGTH);
  return `${TOKEN_PREFIX}${body}${toBase62(crc32(body), CHECKSUM_LENGTH)}`;
};

/** True when the string has our token shape and its checksum matches. */
export const isWellFormedToken = (token: string): boolean => {
  if (!token.startsWith(TOKEN_PREFIX) || token.length !== TOKEN_PREFIX.length + BODY_LENGTH + CHECKSUM_LENGTH)
    return false;
  const body = token.slice(TOKEN_PREFIX.length, TOKEN_PREFIX.length + BODY_LENGTH);
  if (![...token.slice(TOKEN_PREFIX.length)].every((ch) => BASE62.includes(ch))) return false;
  return token.slice(-CHECKSUM_LENGTH) === toBase62(crc32(body), CHECKSUM_LENGTH);
};

/** Lower-case hex SHA-256: the only form in which a token is stored. */
export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** What lists show so a user can tell tokens apart: `tms_` and the first 6 characters. */
export const displayPrefix = (token: string): string => token.slice(0, TOKEN_PREFIX.length + 6);

/** `write` implies `read`; `admin` implies both. */
export const hasScope = (granted: readonly string[], needed: Scope): boolean =>
  granted.includes('admin') || granted.includes(needed) || (needed === 'read' && granted.includes('write'));
