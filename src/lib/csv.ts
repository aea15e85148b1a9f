/** One RFC 4180 cell: null/undefined → empty; quoted (quotes doubled) only when it holds `"`, `,` or a line break. */
export const csvCell = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
