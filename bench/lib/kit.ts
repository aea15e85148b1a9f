import pg from 'pg';
import { openPostgres } from '../../src/db/postgres.ts';
import type { Db } from '../../src/db/types.ts';

// What several benchmarks share: a PostgreSQL database kept between runs (its data takes minutes to
// load), and medians and percentiles of timed runs.

/**
 * Opens database `name` on the server of `adminUrl`, creating it when missing and recreating it when
 * `reload`: the caller loads it when it finds it empty.
 */
export const openKeptDatabase = async (
  adminUrl: string,
  name: string,
  opts: { reload: boolean; max: number },
): Promise<Db> => {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount! > 0;
    if (exists && opts.reload) await admin.query(`DROP DATABASE ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    if (!exists || opts.reload) await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return openPostgres({ url: url.toString(), max: opts.max });
};

export const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * The `p`-th percentile (0–100) of `xs` as the benchmarks have always taken it: the sorted value at
 * index ⌊p/100 · n⌋ (capped at the last), so always an observed value; NaN for no values.
 */
export const percentile = (xs: readonly number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

export const p95 = (xs: readonly number[]): number => percentile(xs, 95);

/**
 * Least-squares slope of `ys` over `xs` (units of y per unit of x), ignoring pairs where either is
 * not finite; NaN with fewer than two distinct x values.
 */
export const leastSquaresSlope = (xs: readonly number[], ys: readonly number[]): number => {
  const pts = xs.flatMap((x, i) => (Number.isFinite(x) && Number.isFinite(ys[i]) ? [[x, ys[i]!]] : []));
  const n = pts.length;
  if (n < 2) return NaN;
  const mx = pts.reduce((a, [x]) => a + x!, 0) / n;
  const my = pts.reduce((a, [, y]) => a + y!, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of pts) {
    sxy += (x! - mx) * (y! - my);
    sxx += (x! - mx) ** 2;
  }
  return sxx === 0 ? NaN : sxy / sxx;
};

/** Median and p95 of `n` runs of `fn` after `warm` unmeasured ones (caches and plans). */
export const timeRuns = async (
  n: number,
  fn: () => Promise<unknown>,
  warm = 3,
): Promise<{ median: number; p95: number }> => {
  for (let i = 0; i < warm; i++) await fn();
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    xs.push(performance.now() - t0);
  }
  return { median: median(xs), p95: p95(xs) };
};
