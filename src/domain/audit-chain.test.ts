import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  GENESIS_HASH,
  canonicalJson,
  chainBreak,
  diffFields,
  entryHash,
  type AuditFields,
} from './audit-chain.ts';

const entry = (
  seq: number,
  prevHash: string,
  over: Partial<AuditFields> = {},
): AuditFields & { hash: string } => {
  const f: AuditFields = {
    seq,
    id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    at: new Date(Date.UTC(2026, 2, 1, 12, 0, seq)),
    actorKind: 'token',
    actorTokenId: '11111111-1111-4111-8111-111111111111',
    actorName: 'ops laptop',
    customerId: '22222222-2222-4222-8222-222222222222',
    entityType: 'storage_unit',
    entityId: 'u1',
    action: 'update',
    changes: { alarm_high_limit: { old: 8, new: 6 } },
    reason: 'vaccine fridge',
    prevHash,
    ...over,
  };
  return { ...f, hash: entryHash(f) };
};

/** Three entries chained from the genesis hash. */
const chain = () => {
  const a = entry(1, GENESIS_HASH);
  const b = entry(2, a.hash, { action: 'create', changes: { name: { new: 'Freezer 2' } } });
  const c = entry(3, b.hash, { reason: null, entityId: null });
  return [a, b, c];
};

describe('canonicalJson', () => {
  it('sorts keys at every depth, so jsonb’s reordering does not change the encoding', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}',
    );
    expect(canonicalJson({ x: 1, y: { q: 2, p: 3 } })).toBe(canonicalJson({ y: { p: 3, q: 2 }, x: 1 }));
  });

  it('writes instants as ISO strings and drops undefined fields (undefined in a list becomes null)', () => {
    const at = new Date('2026-03-01T10:00:00.123Z');
    expect(canonicalJson({ at, gone: undefined })).toBe('{"at":"2026-03-01T10:00:00.123Z"}');
    expect(canonicalJson([1, undefined, 'x'])).toBe('[1,null,"x"]');
    expect(canonicalJson(null)).toBe('null');
  });
});

describe('entryHash', () => {
  it('is SHA-256 of prev_hash, seq, at, entity and the canonical body, one per line (as audit_append)', () => {
    const e = entry(1, GENESIS_HASH);
    const body = canonicalJson([
      e.id,
      e.actorKind,
      e.actorTokenId,
      e.actorName,
      e.customerId,
      e.entityType,
      e.action,
      e.changes,
      e.reason,
    ]);
    const text = `${GENESIS_HASH}\n1\n${e.at.toISOString()}\n=${e.entityId}\n${body}`;
    expect(e.hash).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
    expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
    // No entity is '-', not an empty id.
    expect(entryHash({ ...e, entityId: null })).not.toBe(entryHash({ ...e, entityId: '' }));
  });

  it('changes with every field, and with the previous hash', () => {
    const base = entry(1, GENESIS_HASH);
    const variants: Array<Partial<AuditFields>> = [
      { seq: 2 },
      { id: '00000000-0000-4000-8000-999999999999' },
      { at: new Date(base.at.getTime() + 1) },
      { actorKind: 'cli' },
      { actorTokenId: null },
      { actorName: 'ops laptop ' },
      { customerId: null },
      { entityType: 'facility' },
      { entityId: 'u2' },
      { action: 'delete' },
      { changes: { alarm_high_limit: { old: 8, new: 7 } } },
      { reason: 'other' },
      { prevHash: 'f'.repeat(64) },
    ];
    const hashes = variants.map((v) => entryHash({ ...base, ...v }));
    for (const h of hashes) expect(h).not.toBe(base.hash);
    expect(new Set(hashes).size).toBe(variants.length);
  });

  it('does not depend on the key order of changes', () => {
    const a = entry(1, GENESIS_HASH, { changes: { x: { old: 1, new: 2 }, y: { new: 'a' } } });
    const b = entry(1, GENESIS_HASH, { changes: { y: { new: 'a' }, x: { new: 2, old: 1 } } });
    expect(a.hash).toBe(b.hash);
  });
});

describe('diffFields', () => {
  it('keeps only the fields that changed, as {old, new}', () => {
    expect(diffFields({ name: 'A', limit: 8, tags: ['x'] }, { name: 'A', limit: 6, tags: ['x'] })).toEqual({
      limit: { old: 8, new: 6 },
    });
  });

  it('a create has only new values, a delete only old ones', () => {
    expect(diffFields(null, { name: 'A', limit: 8 })).toEqual({ name: { new: 'A' }, limit: { new: 8 } });
    expect(diffFields({ name: 'A', limit: null }, undefined)).toEqual({
      name: { old: 'A' },
      limit: { old: null },
    });
  });

  it('a field that appears or disappears in an update reads as null on the other side', () => {
    expect(diffFields({ a: 1 }, { b: 2 })).toEqual({ a: { old: 1, new: null }, b: { old: null, new: 2 } });
  });

  it('leaves out omitted fields, compares nested values by content and dates as instants', () => {
    const at = new Date('2026-03-01T00:00:00Z');
    expect(
      diffFields(
        { secret: 's1', cfg: { b: 1, a: 2 }, at },
        { secret: 's2', cfg: { a: 2, b: 1 }, at: new Date(at.getTime()) },
        ['secret'],
      ),
    ).toEqual({});
    expect(diffFields({ at }, { at: new Date(at.getTime() + 1000) })).toEqual({
      at: { old: '2026-03-01T00:00:00.000Z', new: '2026-03-01T00:00:01.000Z' },
    });
  });

  it('stores strings without NUL characters (jsonb cannot hold them)', () => {
    expect(diffFields(null, { name: 'a\u0000b' })).toEqual({ name: { new: 'ab' } });
  });
});

describe('chainBreak', () => {
  it('accepts an intact chain from the genesis hash', () => {
    const [a, b, c] = chain();
    expect(chainBreak(a!, null)).toBeNull();
    expect(chainBreak(b!, a!)).toBeNull();
    expect(chainBreak(c!, b!)).toBeNull();
  });

  it('names a changed entry', () => {
    const [a, b] = chain();
    expect(chainBreak({ ...b!, reason: 'edited later' }, a!)).toMatch(/hash does not match its contents/);
    expect(chainBreak({ ...a!, changes: { alarm_high_limit: { old: 8, new: 9 } } }, null)).toMatch(/changed/);
  });

  it('names a gap in seq (a deleted entry) and a first entry that is not seq 1', () => {
    const [a, , c] = chain();
    expect(chainBreak(c!, a!)).toMatch(/seq 3 where 2 was expected/);
    expect(chainBreak(c!, null)).toMatch(/seq 3 where 1 was expected/);
  });

  it('names an entry whose prev_hash is not its predecessor’s hash (swapped or re-chained)', () => {
    const [a, b, c] = chain();
    // b's contents moved to position 3 with a fresh seq: its prev_hash still names a.
    expect(chainBreak({ ...b!, seq: 3 }, { seq: 2, hash: c!.hash })).toMatch(/prev_hash does not match/);
    // A forged first entry must start from the genesis hash.
    expect(chainBreak({ ...a!, prevHash: b!.hash }, null)).toMatch(/prev_hash/);
  });
});
