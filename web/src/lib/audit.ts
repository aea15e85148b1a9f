/**
 * The audit API's shapes, as the dashboard reads them. Local until src/http/schemas/audit.ts lands;
 * then these should become `Static<typeof …>` type-only imports like the other pages use.
 */
export interface AuditActor {
  kind: 'token' | 'cli' | 'system';
  token_id: string | null;
  name: string;
}

export interface AuditChange {
  old?: unknown;
  new?: unknown;
}

export interface AuditEntry {
  id: string;
  seq: number;
  at: string;
  actor: AuditActor;
  customer_id: string | null;
  entity_type: string;
  entity_id: string | null;
  action: string;
  changes: Record<string, unknown>;
  reason: string | null;
  hash: string;
  prev_hash: string;
}

export interface AuditPage {
  items: AuditEntry[];
  total: number;
  page: number;
  page_size: number;
  pages: number;
}

export interface AuditVerify {
  ok: boolean;
  verified: number;
  head: { seq: number; hash: string } | null;
  broken?: { seq: number; id: string; at: string; problem: string };
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
