// The audit API's shapes, derived from the server's TypeBox schemas (type-only imports: nothing of the
// schemas is bundled), so a field added there reaches the audit page.
import type {
  AuditActor as AuditActorSchema,
  AuditChainReport,
  AuditEntry as AuditEntrySchema,
} from '../../../src/http/schemas/audit.ts';
import type { Api, Page } from './types.ts';

export type AuditActor = Api<typeof AuditActorSchema>;
/** `changes` is an open object in the schema: {field: {old, new}} and `_details`. */
export type AuditEntry = Omit<Api<typeof AuditEntrySchema>, 'changes'> & { changes: Record<string, unknown> };
export type AuditPage = Page<AuditEntry>;
export type AuditVerify = Api<typeof AuditChainReport>;

/** One field's change in `changes`: absent on one side for a create or a delete. */
export interface AuditChange {
  old?: unknown;
  new?: unknown;
}

const show = (v: unknown): string =>
  v === undefined ? '∅' : v === null ? 'null' : typeof v === 'object' ? JSON.stringify(v) : String(v);

/** `changes` as "field: old → new" lines; `_details` (counts, ranges) as "key: value" lines. */
export const changeLines = (changes: Record<string, unknown>): string[] => {
  const lines: string[] = [];
  for (const [field, c] of Object.entries(changes)) {
    if (field === '_details' && c && typeof c === 'object') {
      for (const [k, v] of Object.entries(c)) lines.push(`${k}: ${show(v)}`);
      continue;
    }
    const { old: o, new: n } = (c ?? {}) as AuditChange;
    if (o === undefined) lines.push(`${field}: ${show(n)}`);
    else if (n === undefined) lines.push(`${field}: ${show(o)} → ∅`);
    else lines.push(`${field}: ${show(o)} → ${show(n)}`);
  }
  return lines;
};
