// Seeded hashing and randomness. The reading generator only uses the stateless hashes, so a value is a
// pure function of its inputs; the stateful RNG is for one-off draws (customer generation, fleets).

const TWO_POW_32 = 4294967296;

/** murmur3's 32-bit finaliser: full avalanche, so neighbouring inputs give unrelated outputs. */
export const mix32 = (h: number): number => {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
};

/** FNV-1a over UTF-16 code units, then mixed: a stable 32-bit id for seeds, unit codes and salts. */
export const hashString = (s: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
};

/**
 * Hash of a 32-bit key and an integer index (any safe integer, e.g. a reading index or a time slot).
 * The index is split into two 32-bit halves so that indices beyond 2^32 do not collide.
 */
export const hashIndex = (key: number, index: number): number => {
  const lo = index >>> 0;
  const hi = Math.floor(index / TWO_POW_32) >>> 0;
  return mix32(mix32(key ^ lo) + Math.imul(hi ^ 0x9e3779b9, 0x85ebca6b));
};

/** Derives an independent 32-bit stream key from a key and a small salt (one per model component). */
export const subKey = (key: number, salt: number): number => mix32(key ^ Math.imul(salt + 1, 0x9e3779b9));

/** Maps a 32-bit hash to [0, 1). */
export const unitFloat = (h: number): number => h / TWO_POW_32;

/**
 * Maps a 32-bit hash to an approximately standard normal value: the sum of its four bytes (Irwin–Hall),
 * rescaled. Bounded to about ±3.46, which keeps noise inside the plausibility envelope, and costs no
 * transcendental call in the hot path.
 */
export const approxNormal = (h: number): number => {
  const sum = (h & 0xff) + ((h >>> 8) & 0xff) + ((h >>> 16) & 0xff) + (h >>> 24);
  // Four uniforms on 0..255: mean 510, variance 4 * (256^2 - 1) / 12.
  return (sum - 510) / 147.8;
};

/** A small seeded pseudo-random generator (sfc32) for one-off draws, never for per-reading values. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [min, max], both inclusive (Python's randint). */
  int(min: number, max: number): number;
  /** Uniform in [min, max). */
  uniform(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
}

export const createRng = (seed: string): Rng => {
  let a = hashString(`${seed}#a`);
  let b = hashString(`${seed}#b`);
  let c = hashString(`${seed}#c`);
  let d = hashString(`${seed}#d`);
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / TWO_POW_32;
  };
  // Warm up: the first outputs of sfc32 still correlate with the seed words.
  for (let i = 0; i < 12; i++) next();
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    uniform: (min, max) => min + next() * (max - min),
    pick: (items) => {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[Math.floor(next() * items.length)] as (typeof items)[number];
    },
  };
};
