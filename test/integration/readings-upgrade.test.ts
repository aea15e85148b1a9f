import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../../src/config/config.ts';
import { loadMigrations, migrate } from '../../src/db/migrate.ts';
import { openPglite } from '../../src/db/pglite.ts';
import { findReadingRow } from '../../src/db/readings-query-repo.ts';
import { writeReadingBatch } from '../../src/db/readings-repo.ts';
import { seedFleet } from '../../src/db/seed-fleet.ts';
import type { Db } from '../../src/db/types.ts';
import { toCelsius } from '../../src/domain/units.ts';
import { verifyCustomer } from '../../src/ingestion/verify.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { loadFleet } from '../../src/simulation/fleet.ts';
import { customerReadings } from '../../src/simulation/reading-generator.ts';
import { createPostgresDatabase } from '../support/databases.ts';

// Issue 13 item 1: an installation filled by the previous schema (018: the wide temperature_readings
// table) upgrades in place to the partitioned one of migration 019 with every reading kept, the same
// values through the view, `tms verify` clean against the simulator's timeline, and writes working.

const config = parseConfig({});
const FROM = Date.parse('2026-03-31T20:00:00Z'); // across a month boundary: two partitions
const TO = Date.parse('2026-04-01T04:00:00Z');
const CODES = ['A', 'B', 'E'];

/** A database with no migrations applied: PGlite in memory, or a fresh PostgreSQL database. */
const blankDatabases = (): {
  backend: string;
  open: () => Promise<{ db: Db; drop: () => Promise<void> }>;
}[] => {
  const cases = [
    {
      backend: 'pglite',
      open: async () => {
        const db = await openPglite({});
        return { db, drop: () => db.close() };
      },
    },
  ];
  if (inject('postgresAdminUrl'))
    cases.push({ backend: 'postgres', open: () => createPostgresDatabase({ migrate: false }) });
  return cases;
};

const VIEW_COLUMNS = `customer_id, facility_id, storage_unit_id, recorded_at, temperature_c, source_value, source_unit,
  sensor_id, quality_score, equipment_status, ingestion_log_id, created_at`;

for (const blank of blankDatabases())
  describe(`readings upgrade in place [${blank.backend}]`, () => {
    let handle: { db: Db; drop: () => Promise<void> } | undefined;
    afterAll(async () => {
      await handle?.drop();
    });

    it('keeps every reading with its values, verify is clean, and the writer stores into the new table', async () => {
      handle = await blank.open();
      const { db } = handle;
      const all = await loadMigrations();
      await migrate(
        db,
        all.filter((m) => m.version < 19),
      );
      const fleet = await loadFleet();
      await seedFleet(db, fleet, { simHost: '127.0.0.1', simPortStart: 8001 });
      const units = new Map(
        (
          await db.query<{ id: string; code: string; facility: string; customer: string }>(
            `SELECT u.id, u.unit_code AS code, f.facility_code AS facility, c.customer_code AS customer
             FROM storage_units u JOIN facilities f ON f.id = u.facility_id JOIN customers c ON c.id = u.customer_id`,
          )
        ).map((u) => [`${u.customer}/${u.facility}/${u.code}`, u]),
      );

      // Fill schema 018 as its writer did: the simulator's readings of three customers (°F sources
      // among them, failed reads as null), two runs, each stored at its own time.
      let fahrenheit = 0;
      const inserted: Record<string, number> = {};
      for (const code of CODES) {
        const customer = fleet.customers.find((c) => c.code === code)!;
        const readings = customerReadings({
          seed: config.simSeed,
          customer,
          fromMs: FROM,
          toMs: TO,
          faults: [],
        });
        const [{ id: customerId }] = (await db.query<{ id: string }>(
          'SELECT id FROM customers WHERE customer_code = $1',
          [code],
        )) as [{ id: string }];
        inserted[code] = readings.length;
        const logs = [randomUUID(), randomUUID()];
        for (const id of logs)
          await db.query(
            `INSERT INTO ingestion_logs (id, customer_id, ingestion_type, status, start_time)
             VALUES ($1, $2, 'api', 'success', now())`,
            [id, customerId],
          );
        const rows = readings.map((r, i) => {
          if (r.temperature_unit === 'F') fahrenheit++;
          return [
            units.get(`${code}/${r.facility_id}/${r.unit_id}`)!.id,
            r.timestamp,
            r.temperature === null ? null : toCelsius(r.temperature, r.temperature_unit),
            r.temperature,
            r.temperature_unit,
            r.sensor_id,
            r.quality_score,
            r.temperature === null ? 'failure' : 'normal',
            logs[i % 2],
            new Date(Date.UTC(2026, 3, 1, 5, i % 2)).toISOString(),
          ] as const;
        });
        const col = (k: number) => rows.map((r) => r[k]);
        await db.query(
          `INSERT INTO temperature_readings (customer_id, facility_id, storage_unit_id, recorded_at, temperature_c,
             source_value, source_unit, sensor_id, quality_score, equipment_status, ingestion_log_id, created_at)
           SELECT u.customer_id, u.facility_id, u.id, x.at, x.c, x.v, x.unit_of, x.sensor, x.q, x.status, x.log, x.created
           FROM unnest($1::uuid[], $2::timestamptz[], $3::float8[], $4::float8[], $5::text[], $6::text[], $7::float8[],
                       $8::text[], $9::uuid[], $10::timestamptz[])
             AS x(unit, at, c, v, unit_of, sensor, q, status, log, created)
           JOIN storage_units u ON u.id = x.unit`,
          Array.from({ length: 10 }, (_, k) => col(k)),
        );
        await db.query('UPDATE ingestion_schedule SET high_water_mark = $2 WHERE customer_id = $1', [
          customerId,
          new Date(TO),
        ]);
      }
      expect(fahrenheit).toBeGreaterThan(0);
      const before = await db.query(
        `SELECT ${VIEW_COLUMNS} FROM temperature_readings ORDER BY storage_unit_id, recorded_at`,
      );
      expect(before.length).toBeGreaterThan(1000);

      expect(await migrate(db)).toEqual(all.filter((m) => m.version >= 19).map((m) => m.name));

      // Every reading, with the same values through the view.
      const after = await db.query(
        `SELECT ${VIEW_COLUMNS} FROM temperature_readings ORDER BY storage_unit_id, recorded_at`,
      );
      expect(after).toEqual(before);
      const parts = await db.query<{ name: string; n: number }>(
        `SELECT c.relname::text AS name, (SELECT count(*)::int FROM readings r WHERE r.tableoid = c.oid) AS n
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'readings'::regclass`,
      );
      const byName = Object.fromEntries(parts.map((p) => [p.name, p.n]));
      expect(byName.readings_2026_03! + byName.readings_2026_04!).toBe(before.length);
      expect(byName.readings_2026_03).toBeGreaterThan(0);

      // `tms verify`: the stored readings are exactly the simulator's, for every customer.
      for (const code of CODES) {
        const report = await verifyCustomer(
          { db, config, clock: fixedClock(new Date(TO + 3_600_000)) },
          { customerCode: code, since: new Date(FROM), faults: [] },
        );
        expect(report, code).toMatchObject({ ok: true, missing: 0, extra: 0, mismatched: 0 });
        expect(report.matched).toBe(inserted[code]);
        expect(report.matched).toBeGreaterThan(10);
      }

      // The writer stores into the upgraded table (a new month, a new sensor), and a reading's id finds it.
      const unit = [...units.values()][0]!;
      const written = await writeReadingBatch(db, {
        batchId: randomUUID(),
        ingestionLogId: null,
        readings: [
          {
            storageUnitId: unit.id,
            facilityId: '',
            recordedAtMs: Date.parse('2026-05-01T00:00:00Z'),
            temperatureC: 4.25,
            sourceValue: 4.25,
            sourceUnit: 'C',
            sensorId: 'sensor-new',
            qualityScore: 0.93,
            equipmentStatus: 'normal',
          },
        ],
      });
      expect(written.stored).toBe(1);
      const [row] = await db.query<{ id: string }>(
        "SELECT id FROM temperature_readings WHERE storage_unit_id = $1 AND recorded_at = '2026-05-01T00:00:00Z'",
        [unit.id],
      );
      expect(await findReadingRow(db, row!.id)).toMatchObject({
        storage_unit_id: unit.id,
        temperature_c: 4.25,
        sensor_id: 'sensor-new',
        quality_score: 0.93,
        equipment_status: 'normal',
      });
    }, 120_000);
  });
