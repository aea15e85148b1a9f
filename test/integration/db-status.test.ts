import { afterEach, beforeEach, expect, it } from 'vitest';
import { countTableRows, readDbStatus } from '../../src/db/status-repo.ts';
import type { Db } from '../../src/db/types.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import { insertReadings, seedDefaultFleet, series, unitsOf } from '../support/factories.ts';

// `tms db status` counts small tables exactly and estimates large growing ones (row-estimate.ts).
// Growing tables are counted exactly while together within 64 MB on disk; the tests lower that to reach that path with
// a few thousand rows, on real statistics and real page samples.
describeEachBackend('db status counts', ({ create }) => {
  let t: TestDatabase;
  let db: Db;

  beforeEach(async () => {
    t = await create();
    db = t.db;
    await seedDefaultFleet(db);
  });
  afterEach(async () => t?.drop());

  const readingsIn = async (n: number) => {
    const [u] = await unitsOf(db, 'A');
    await insertReadings(db, series(u!, new Date('2026-01-01T00:00:00Z'), 60, n));
  };

  it('a small store reports exact counts for every table, none estimated', async () => {
    await readingsIn(37);
    const s = await readDbStatus(db);
    expect(s.tables.every((c) => !c.estimated)).toBe(true);
    expect(s.counts).toMatchObject({
      customers: 10,
      facilities: 21,
      storage_units: 96,
      temperature_readings: 37,
      reading_rollups_hourly: 1,
    });
    expect(s.tables.map((c) => c.table)).toEqual(Object.keys(s.counts));
  });

  it('stays exact after ANALYZE while the table is small, whatever the statistics say', async () => {
    await readingsIn(50);
    await db.query('ANALYZE temperature_readings');
    const s = await readDbStatus(db);
    expect(s.tables.find((c) => c.table === 'temperature_readings')).toEqual({
      table: 'temperature_readings',
      rows: 50,
      estimated: false,
    });
  });

  it('above the size limit, says the readings figure is an estimate; small tables stay exact', async () => {
    await readingsIn(3000);
    // Never analyzed: the pages are sampled (here every page, the table being tiny: the figure is exact).
    let s = await readDbStatus(db, 5, 0);
    expect(s.tables.find((c) => c.table === 'temperature_readings')).toEqual({
      table: 'temperature_readings',
      rows: 3000,
      estimated: true,
    });
    expect(s.tables.find((c) => c.table === 'customers')).toEqual({
      table: 'customers',
      rows: 10,
      estimated: false,
    });
    // Analyzed: reltuples scaled to the pages now (ANALYZE reads every row of a table this small).
    await db.query('ANALYZE temperature_readings');
    s = await readDbStatus(db, 5, 0);
    expect(s.tables.find((c) => c.table === 'temperature_readings')).toMatchObject({
      rows: 3000,
      estimated: true,
    });
    expect(s.counts.temperature_readings).toBe(3000);
  });

  it('sums a partitioned table over its partitions, analyzed or not', async () => {
    await db.query(`CREATE TABLE status_probe (at timestamptz NOT NULL, v int) PARTITION BY RANGE (at)`);
    await db.query(
      `CREATE TABLE status_probe_2026_01 PARTITION OF status_probe FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')`,
    );
    await db.query(
      `CREATE TABLE status_probe_2026_02 PARTITION OF status_probe FOR VALUES FROM ('2026-02-01') TO ('2026-03-01')`,
    );
    await db.query(
      `INSERT INTO status_probe SELECT timestamptz '2026-01-01' + g * interval '20 minutes', g FROM generate_series(0, 3999) g`,
    );
    await db.query('ANALYZE status_probe_2026_01');
    expect(await countTableRows(db, ['status_probe'], 0)).toEqual([
      { table: 'status_probe', rows: 4000, estimated: true },
    ]);
    expect(await countTableRows(db, ['status_probe'])).toEqual([
      { table: 'status_probe', rows: 4000, estimated: false },
    ]);
  });

  it('samples a large table never analyzed by page ranges, within 2 %', async () => {
    await db.query('CREATE TABLE status_probe_big (at timestamptz NOT NULL, v int)');
    await db.query(
      `INSERT INTO status_probe_big SELECT timestamptz '2026-01-01' + g * interval '1 minute', g FROM generate_series(1, 150000) g`,
    );
    const [{ pages }] = (await db.query<{ pages: number }>(
      `SELECT (pg_relation_size('status_probe_big') / 8192)::int AS pages`,
    )) as [{ pages: number }];
    expect(pages).toBeGreaterThan(512); // more than the 8 × 64 pages sampled
    const [c] = await countTableRows(db, ['status_probe_big'], 0);
    expect(c!.estimated).toBe(true);
    expect(Math.abs(c!.rows - 150_000) / 150_000).toBeLessThan(0.02);
  });
});
