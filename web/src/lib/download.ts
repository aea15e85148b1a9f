import { isoDay } from './format.ts';

/** `Freezer A1` → `freezer-a1`: safe in a file name on every system. */
export const slug = (s: string): string =>
  s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60) || 'export';

/**
 * A file name that says what is inside: `freezer-a1_2026-11-01_2026-11-08.csv` (the days of the
 * range in the browser's zone). The server's generic name would make every export alike.
 */
export const exportFileName = (what: string, start: Date, end: Date, ext = 'csv'): string =>
  `${slug(what)}_${isoDay(start)}_${isoDay(end)}.${ext}`;

/** Hands a blob to the browser as a download named `name`. */
export const saveBlob = (blob: Blob, name: string): void => {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
};
