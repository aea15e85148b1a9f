import type { Sql } from './types.ts';

// Before a batch of readings is stored, its sensors need rows in the dictionary reading_sensors and
// its months need partitions of `readings` (migration 019). The database function readings_prepare
// does both; this module calls it only for what the handle has not prepared before, so a steady
// stream of readings costs no extra round trip. If a partition disappears under a cached month
// (retention dropped it and a late reading arrives), the insert fails, `forgetPrepared` clears the
// handle's cache and the write is retried once (writeReadings).

interface Prepared {
  sensors: Set<string>;
  months: Set<number>;
}

const cache = new WeakMap<object, Prepared>();

const monthOf = (ms: number): number => {
  const d = new Date(ms);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
};

/** Prepares sensors and partitions for readings recorded at `atMs` with `sensors`, on handle `q`. */
export const prepareReadingWrite = async (
  q: Sql,
  sensors: readonly (string | null)[],
  atMs: readonly number[],
): Promise<void> => {
  let p = cache.get(q);
  if (!p) cache.set(q, (p = { sensors: new Set(), months: new Set() }));
  const newSensors = new Set<string>();
  for (const s of sensors) if (s !== null && !p.sensors.has(s)) newSensors.add(s);
  let from = Infinity;
  let to = -Infinity;
  const newMonths = new Set<number>();
  for (const ms of atMs) {
    const m = monthOf(ms);
    if (p.months.has(m)) continue;
    newMonths.add(m);
    if (ms < from) from = ms;
    if (ms > to) to = ms;
  }
  if (newSensors.size === 0 && newMonths.size === 0) return;
  await q.query('SELECT readings_prepare($1::text[], $2::timestamptz, $3::timestamptz)', [
    [...newSensors],
    newMonths.size ? new Date(from) : null,
    newMonths.size ? new Date(to) : null,
  ]);
  for (const s of newSensors) p.sensors.add(s);
  for (const m of newMonths) p.months.add(m);
};

/** Drops what `q` is believed to have prepared (after a failed write). */
export const forgetPrepared = (q: Sql): void => {
  cache.delete(q);
};

/** PostgreSQL's error for a row whose month has no partition (23514 with this text). */
const isMissingPartition = (e: unknown): boolean =>
  (e as { code?: string }).code === '23514' && /no partition of relation/.test(String((e as Error).message));

/**
 * Runs a write of readings after preparing for them. When a partition turns out to be missing (dropped
 * by retention since this handle prepared its month), prepares again and retries once; that works
 * outside a transaction (the writers' single statements), inside one the error stands.
 */
export const writeReadings = async <T>(
  q: Sql,
  sensors: readonly (string | null)[],
  atMs: readonly number[],
  write: () => Promise<T>,
): Promise<T> => {
  await prepareReadingWrite(q, sensors, atMs);
  try {
    return await write();
  } catch (e) {
    forgetPrepared(q);
    if (!isMissingPartition(e)) throw e;
    await prepareReadingWrite(q, sensors, atMs);
    return write();
  }
};

/** SQL for the one-letter status code (readings.status) of an equipment_status text. */
export const statusCodeSql = (col: string): string =>
  `(CASE ${col} WHEN 'normal' THEN 'n' WHEN 'warning' THEN 'w' WHEN 'error' THEN 'e' WHEN 'failure' THEN 'f'
     WHEN 'maintenance' THEN 'm' ELSE '?' END)::"char"`;
