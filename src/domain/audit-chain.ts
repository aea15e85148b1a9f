import { createHash } from 'node:crypto';

// The audit trail's hash chain: each entry's hash is SHA-256 over the previous entry's hash and a
// canonical encoding of the entry's own fields. The encoding must come out the same when an entry is
// read back from the database (jsonb reorders keys; timestamps come back as Date), so it sorts keys
// and writes instants as ISO strings at millisecond precision (the column is stored truncated to ms).

/** The hash before the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

export type ActorKind = 'token' | 'cli' | 'system';

/** One field's change: absent on one side for a create or a delete. */
export interface FieldChange {
  old?: unknown;
  new?: unknown;
}

/** The fields an entry's hash covers (every stored column but `hash`). */
export interface AuditFields {
  seq: number;
  id: string;
  at: Date;
  actorKind: ActorKind;
  actorTokenId: string | null;
  actorName: string;
  customerId: string | null;
  entityType: string;
  entityId: string | null;
  action: string;
  changes: Record<string, unknown>;
  reason: string | null;
  prevHash: string;
}

/** A value as JSON with object keys sorted at every depth; Dates as ISO strings, undefined dropped. */
export const canonicalJson = (value: unknown): string => JSON.stringify(sortKeys(value));

const sortKeys = (v: unknown): unknown => {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : sortKeys(x)));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
};

/**
 * The canonical JSON of the fields the writer knows before it appends (the database adds seq, at,
 * prev_hash and, for a reading, the entity id: see migration 018's audit_append).
 */
export const entryBody = (f: Omit<AuditFields, 'seq' | 'at' | 'prevHash' | 'entityId'>): string =>
  canonicalJson([
    f.id,
    f.actorKind,
    f.actorTokenId,
    f.actorName,
    f.customerId,
    f.entityType,
    f.action,
    f.changes,
    f.reason,
  ]);

/**
 * SHA-256 (hex) of an entry, chained to `fields.prevHash`: of the UTF-8 text
 * `prev_hash \n seq \n at \n entity \n body`, exactly as audit_append computes it in the database.
 * `entity` is '-' for none or '=' + the id (the only part that may hold a newline is the id, and the
 * body never does, so the text reads back one way only).
 */
export const entryHash = (f: AuditFields): string =>
  createHash('sha256')
    .update(
      [
        f.prevHash,
        String(f.seq),
        f.at.toISOString(),
        f.entityId === null ? '-' : `=${f.entityId}`,
        entryBody(f),
      ].join('\n'),
    )
    .digest('hex');

/** A JSON-safe copy of a value as jsonb will store it (Dates → ISO strings, NUL characters dropped). */
export const jsonSafe = (v: unknown): unknown =>
  v === undefined ? undefined : (JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'string' ? x.replaceAll('\u0000', '') : x))) as unknown);

const same = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

/**
 * The fields that differ between two versions of a record, as {field: {old, new}}. A create has no
 * `before` (every field of `after` is new), a delete no `after`. Fields in `omit` (secrets, hashes,
 * bookkeeping timestamps) are left out.
 */
export const diffFields = (
  before: Record<string, unknown> | null | undefined,
  after: Record<string, unknown> | null | undefined,
  omit: readonly string[] = [],
): Record<string, FieldChange> => {
  const out: Record<string, FieldChange> = {};
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const k of [...keys].sort()) {
    if (omit.includes(k)) continue;
    const o = before ? jsonSafe(before[k]) : undefined;
    const n = after ? jsonSafe(after[k]) : undefined;
    if (before && after && same(o, n)) continue;
    const c: FieldChange = {};
    if (before && o !== undefined) c.old = o;
    if (after && n !== undefined) c.new = n;
    if (before && after && o === undefined) c.old = null;
    if (before && after && n === undefined) c.new = null;
    out[k] = c;
  }
  return out;
};

/** Why an entry does not fit the chain, or null when it does. */
export const chainBreak = (
  entry: AuditFields & { hash: string },
  previous: { seq: number; hash: string } | null,
): string | null => {
  const expectedSeq = previous ? previous.seq + 1 : 1;
  if (entry.seq !== expectedSeq)
    return `seq ${entry.seq} where ${expectedSeq} was expected (an entry before it was deleted or moved)`;
  const expectedPrev = previous ? previous.hash : GENESIS_HASH;
  if (entry.prevHash !== expectedPrev)
    return "prev_hash does not match the previous entry's hash (an entry was deleted, inserted or reordered)";
  if (entryHash(entry) !== entry.hash) return 'hash does not match its contents (the entry was changed)';
  return null;
};
