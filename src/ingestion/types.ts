/** A row as a source sent it: JSON values, or strings from CSV. */
export type RawRow = Record<string, unknown>;
