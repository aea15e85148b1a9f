/**
 * How `tms db status` sizes the tables that grow with readings without scanning large ones: smallest
 * first, tables (summed over their partitions or inheritance children) are counted exactly while
 * together they stay within EXACT_MAX_PAGES on disk, so small installations see exact figures; the
 * others are estimated from the planner's statistics, or from a page sample where there are none.
 */

/**
 * 8,192 pages of 8 kB = 64 MB in all, about 400k readings (149 bytes of heap each): count(*) of that
 * takes about 130 ms on PGlite and less on PostgreSQL (measured by `npm run bench:db-status`).
 */
export const EXACT_MAX_PAGES = 8_192;
/**
 * A leaf never analyzed (always so on PGlite, which has no autovacuum) is sampled: SAMPLE_RANGES runs of
 * SAMPLE_RANGE_PAGES contiguous pages spread evenly over it, read by TID range scans (512 pages: about
 * 30 ms on PGlite, where a 2,000-page TABLESAMPLE took 180 ms and varied by ±2 % in page count alone).
 */
export const SAMPLE_RANGES = 8;
export const SAMPLE_RANGE_PAGES = 64;

/** One table with storage: the table itself, or a partition or child of it. */
export interface LeafStats {
  name: string;
  /** pg_class.reltuples: rows at the last VACUUM/ANALYZE, -1 if never analyzed (PostgreSQL 14+). */
  reltuples: number;
  /** pg_class.relpages at the same moment. */
  relpages: number;
  /** Pages on disk now (pg_relation_size / block size). */
  pages: number;
}

/** Page ranges [from, to) of a leaf to count rows in; the leaf's rows ≈ rows found × pages / sampledPages. */
export interface LeafSample {
  name: string;
  pages: number;
  /** Undefined: the leaf is small enough to count whole (exact). */
  ranges?: Array<{ from: number; to: number }>;
  sampledPages: number;
}

/** How to count a table: exactly, or known statistics plus samples of the leaves that have none. */
export type CountPlan =
  { kind: 'exact' } | { kind: 'estimate'; fromStatistics: number; sample: LeafSample[] };

/** Evenly spread runs of contiguous pages over a leaf of `pages` pages, or the whole leaf when that is as small. */
export const sampleOf = (name: string, pages: number): LeafSample => {
  if (pages <= SAMPLE_RANGES * SAMPLE_RANGE_PAGES) return { name, pages, sampledPages: pages };
  const ranges = Array.from({ length: SAMPLE_RANGES }, (_, k) => {
    const from = Math.floor((k * pages) / SAMPLE_RANGES);
    return { from, to: from + SAMPLE_RANGE_PAGES };
  });
  return { name, pages, ranges, sampledPages: SAMPLE_RANGES * SAMPLE_RANGE_PAGES };
};

/**
 * Chooses how to count a table from its leaves' statistics. A leaf with statistics is scaled from
 * its density at the last analyze to its size now (what the planner does); a leaf never analyzed
 * (or analyzed when empty) is sampled by page ranges, or counted whole when small.
 */
export const planRowCount = (leaves: readonly LeafStats[], exactMaxPages = EXACT_MAX_PAGES): CountPlan => {
  const pages = leaves.reduce((s, l) => s + l.pages, 0);
  if (pages <= exactMaxPages) return { kind: 'exact' };
  let fromStatistics = 0;
  const sample: LeafSample[] = [];
  for (const l of leaves) {
    if (l.pages === 0) continue;
    if (l.reltuples >= 0 && l.relpages > 0) fromStatistics += (l.reltuples / l.relpages) * l.pages;
    else sample.push(sampleOf(l.name, l.pages));
  }
  return { kind: 'estimate', fromStatistics: Math.round(fromStatistics), sample };
};

/**
 * The plan of each table: exact counts smallest first while their pages together stay within
 * `budgetPages`, estimates for the rest (a table's estimate reads statistics and at most 512 pages
 * per leaf, whatever its size).
 */
export const planRowCounts = (
  tables: ReadonlyMap<string, readonly LeafStats[]>,
  budgetPages = EXACT_MAX_PAGES,
): Map<string, CountPlan> => {
  const pagesOf = (leaves: readonly LeafStats[]) => leaves.reduce((s, l) => s + l.pages, 0);
  const bySize = [...tables].sort(([, a], [, b]) => pagesOf(a) - pagesOf(b));
  const plans = new Map<string, CountPlan>();
  let left = budgetPages;
  for (const [table, leaves] of bySize) {
    const plan = planRowCount(leaves, left);
    if (plan.kind === 'exact') left -= pagesOf(leaves);
    plans.set(table, plan);
  }
  return plans;
};

/** "≈ 12.3M": an estimated row count, three significant figures at most. */
export const formatEstimate = (n: number): string => {
  const units: Array<[number, string]> = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [scale, suffix] of units) {
    // Rounded before the unit is chosen: 999,950 is "≈ 1M", not "≈ 1000k".
    const v = Number((n / scale).toPrecision(3));
    if (v >= 1) return `≈ ${v}${suffix}`;
  }
  return `≈ ${Math.round(n)}`;
};
