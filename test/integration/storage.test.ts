import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bootstrapTokens, issueToken, listTokens, revokeToken } from '../../src/auth/tokens.ts';
import { recordAudit } from '../../src/audit/record.ts';
import { countMatching, deleteReadings } from '../../src/db/clean-repo.ts';
import { migrate } from '../../src/db/migrate.ts';
import { seedFleet } from '../../src/db/seed-fleet.ts';
import { readDbStatus } from '../../src/db/status-repo.ts';
import { findTokenByHash } from '../../src/db/tokens-repo.ts';
import type { Db } from '../../src/db/types.ts';
import { hashToken, isWellFormedToken } from '../../src/domain/tokens.ts';
import { loadFleet } from '../../src/simulation/fleet.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';

const SEED_OPTS = { simHost: '127.0.0.1', simPortStart: 8001 };

const unitOf = async (db: Db, code: string) =>
  (
    await db.query<{ id: string; customer_id: string; facility_id: string }>(
      'SELECT id, customer_id, facility_id FROM storage_units WHERE unit_code = $1',
      [code],
    )
  )[0]!;

const insertReading = (
  db: Db,
  unit: { id: string; customer_id: string; facility_id: string },
  at: string,
  c: number | null,
  /** When it was ingested (default now); readings are immutable, so an old ingestion is inserted as such. */
  createdAt?: Date,
) =>
  db.query(
    `INSERT INTO temperature_readings (customer_id, facility_id, storage_unit_id, recorded_at, temperature_c, source_value,
       source_unit, quality_score, equipment_status, created_at)
     VALUES ($1, $2, $3, $4, $5, $5, 'C', 0.9, $6, coalesce($7::timestamptz, now()))`,
    [
      unit.customer_id,
      unit.facility_id,
      unit.id,
      at,
      c,
      c === null ? 'failure' : 'normal',
      createdAt ?? null,
    ],
  );

// Every test gets a database of its own holding the default fleet, and creates the readings and
// tokens it looks at: any test runs alone (-t) and in any order (--sequence.shuffle).
describeEachBackend('storage', ({ create }) => {
  let t: TestDatabase;
  let db: Db;

  beforeEach(async () => {
    t = await create();
    db = t.db;
    await seedFleet(db, await loadFleet(), SEED_OPTS);
  });
  afterEach(async () => t?.drop());

  describe('schema and migrations', () => {
    it('re-running migrations applies nothing and keeps the seeded config', async () => {
      expect(await migrate(db)).toEqual([]);
      const rows = await db.query<{ key: string; value: unknown }>(
        'SELECT key, value FROM system_config ORDER BY key',
      );
      expect(Object.fromEntries(rows.map((r) => [r.key, r.value]))).toEqual({
        data_retention_days: 730,
        good_quality_threshold: 0.8,
        max_temperature_deviation: { warning: 2, critical: 5 },
      });
    });

    it('runs a named statement again and again, with typed results, and survives its errors', async () => {
      // Parsed once per connection (PostgreSQL) or instance (PGlite), then only bound and executed.
      const text =
        'SELECT 10 / $1::int AS q, $2::timestamptz AS at, count(*) AS n FROM customers WHERE customer_code = ANY($3::text[])';
      for (const d of [1, 2, 5]) {
        const [row] = await db.query(text, [d, '2026-03-01T10:00:00Z', ['A', 'B']], { name: 'test_named' });
        expect(row).toEqual({ q: 10 / d, at: new Date('2026-03-01T10:00:00Z'), n: 2 });
      }
      await expect(
        db.query(text, [0, '2026-03-01T10:00:00Z', []], { name: 'test_named' }),
      ).rejects.toMatchObject({ code: '22012' });
      const [after] = await db.query(text, [10, null, ['C']], { name: 'test_named' });
      expect(after).toEqual({ q: 1, at: null, n: 1 });
    });

    it('returns counts as numbers on both backends', async () => {
      const [row] = await db.query<{ n: unknown; big: unknown }>(
        'SELECT count(*) AS n, 9007199254740::bigint AS big FROM customers',
      );
      expect(row).toEqual({ n: 10, big: 9007199254740 });
    });

    it('refuses a second reading for the same unit and time, and ON CONFLICT DO NOTHING skips it', async () => {
      const u = await unitOf(db, 'unit_A_1_1');
      await insertReading(db, u, '2026-01-01T00:00:00Z', -74.1);
      await expect(insertReading(db, u, '2026-01-01T00:00:00Z', -70)).rejects.toThrow(/unique|duplicate/i);
      // The writers insert into the partitioned table behind the view, on its natural key.
      const skipped = await db.query(
        `INSERT INTO readings (recorded_at, temperature_c, batch_key, unit_key, source_unit)
         SELECT '2026-01-01T00:00:00Z', -1, 0, reading_key, 'C' FROM storage_units WHERE id = $1
         ON CONFLICT (unit_key, recorded_at) DO NOTHING RETURNING 1`,
        [u.id],
      );
      expect(skipped).toEqual([]);
      const [kept] = await db.query<{ temperature_c: number }>(
        "SELECT temperature_c FROM temperature_readings WHERE storage_unit_id = $1 AND recorded_at = '2026-01-01T00:00:00Z'",
        [u.id],
      );
      expect(kept!.temperature_c).toBe(-74.1);
    });

    it('stores a failed sensor read as a null temperature only with status failure', async () => {
      const u = await unitOf(db, 'unit_A_1_2');
      await insertReading(db, u, '2026-01-01T00:05:00Z', null);
      await expect(
        db.query(
          `INSERT INTO temperature_readings (customer_id, facility_id, storage_unit_id, recorded_at, temperature_c, source_unit)
           VALUES ($1, $2, $3, '2026-01-01T00:10:00Z', NULL, 'C')`,
          [u.customer_id, u.facility_id, u.id],
        ),
      ).rejects.toThrow(/check/i);
    });

    it('keeps quality_score a float in [0,1]', async () => {
      const u = await unitOf(db, 'unit_A_1_3');
      await db.query(
        `INSERT INTO temperature_readings (customer_id, facility_id, storage_unit_id, recorded_at, temperature_c, source_unit, quality_score)
         VALUES ($1, $2, $3, '2026-01-01T00:00:00Z', -60, 'C', 0.8391000418902289)`,
        [u.customer_id, u.facility_id, u.id],
      );
      const [r] = await db.query<{ quality_score: number }>(
        'SELECT quality_score FROM temperature_readings WHERE storage_unit_id = $1',
        [u.id],
      );
      // Stored as a real: six significant digits, read back without float noise.
      expect(r!.quality_score).toBe(0.8391);
      await expect(
        db.query(
          `INSERT INTO temperature_readings (customer_id, facility_id, storage_unit_id, recorded_at, temperature_c, source_unit, quality_score)
           VALUES ($1, $2, $3, '2026-01-01T01:00:00Z', -60, 'C', 1.5)`,
          [u.customer_id, u.facility_id, u.id],
        ),
      ).rejects.toThrow(/check/i);
    });
  });

  describe('default fleet', () => {
    it('has the 10 customers, 21 facilities and 96 units of the default fleet', async () => {
      const s = await readDbStatus(db);
      expect(s.counts).toMatchObject({ customers: 10, facilities: 21, storage_units: 96 });
    });

    it('points each customer at its simulator port with the right endpoint and frequency', async () => {
      const rows = await db.query<{
        customer_code: string;
        api_url: string;
        data_sharing_method: string;
        data_frequency_seconds: number;
      }>(
        'SELECT customer_code, api_url, data_sharing_method, data_frequency_seconds FROM customers ORDER BY customer_code',
      );
      expect(rows.map((r) => r.customer_code)).toEqual(['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J']);
      expect(rows[0]).toMatchObject({
        api_url: 'http://127.0.0.1:8001/temperature/current',
        data_sharing_method: 'api',
        data_frequency_seconds: 60,
      });
      expect(rows[1]).toMatchObject({
        api_url: 'http://127.0.0.1:8002/data/download.csv',
        data_sharing_method: 'csv',
        data_frequency_seconds: 1560,
      });
      expect(rows[9]!.api_url).toBe('http://127.0.0.1:8010/data/download.csv');
    });

    it('keeps set points and units of measure exactly as in the fleet file', async () => {
      const [u] = await db.query<Record<string, unknown>>(
        `SELECT u.name, u.size_value, u.size_unit, u.set_temperature, u.temperature_unit, u.data_frequency_seconds, f.city
         FROM storage_units u JOIN facilities f ON f.id = u.facility_id WHERE u.unit_code = 'unit_A_1_1'`,
      );
      expect(u).toEqual({
        name: 'Ultra-Low Freezer 1',
        size_value: 328,
        size_unit: 'sqm',
        set_temperature: -74.2,
        temperature_unit: 'C',
        data_frequency_seconds: 229,
        city: 'Oxford',
      });
      const fUnits = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM storage_units u JOIN customers c ON c.id = u.customer_id WHERE c.customer_code = 'C' AND u.temperature_unit = 'F' AND u.size_unit = 'sqft'",
      );
      expect(fUnits[0]!.n).toBe(18);
    });

    it('is idempotent: seeding again creates nothing and keeps edits', async () => {
      await db.query("UPDATE customers SET name = 'Renamed A' WHERE customer_code = 'A'");
      const again = await seedFleet(db, await loadFleet(), SEED_OPTS);
      expect(again).toEqual({ customersCreated: 0, facilitiesCreated: 0, unitsCreated: 0 });
      const [a] = await db.query<{ name: string }>("SELECT name FROM customers WHERE customer_code = 'A'");
      expect(a!.name).toBe('Renamed A');
    });
  });

  describe('tokens', () => {
    it('stores only the hash of a new token and finds it by that hash', async () => {
      const issued = await issueToken(db, { customerCode: 'B', scopes: ['read', 'write'], name: 'ci' });
      expect(isWellFormedToken(issued.token)).toBe(true);
      const raw = await db.query<Record<string, unknown>>('SELECT * FROM api_tokens WHERE id = $1', [
        issued.id,
      ]);
      expect(JSON.stringify(raw)).not.toContain(issued.token);
      expect(raw[0]!.token_hash).toBe(hashToken(issued.token));
      const found = await findTokenByHash(db, hashToken(issued.token));
      expect(found).toMatchObject({
        customer_code: 'B',
        permissions: ['read', 'write'],
        customer_is_active: true,
      });
    });

    it('refuses admin scope on a customer token and a customer on an admin token', async () => {
      await expect(issueToken(db, { customerCode: 'B', scopes: ['admin'] })).rejects.toThrow(/admin/);
      await expect(issueToken(db, { customerCode: 'B', admin: true })).rejects.toThrow(/no customer/);
      await expect(issueToken(db, { customerCode: 'ZZ' })).rejects.toThrow(/not found/);
    });

    it('an admin token belongs to no customer', async () => {
      const admin = await issueToken(db, { admin: true });
      expect(admin).toMatchObject({ customer_id: null, permissions: ['admin'] });
    });

    it('revoking hides a token from the active list and marks it inactive', async () => {
      const t = await issueToken(db, { customerCode: 'C' });
      const revoked = await revokeToken(db, t.id);
      expect(revoked.is_active).toBe(false);
      expect(revoked.revoked_at).toBeInstanceOf(Date);
      expect((await listTokens(db, { customerCode: 'C' })).map((x) => x.id)).not.toContain(t.id);
      expect((await listTokens(db, { customerCode: 'C', includeRevoked: true })).map((x) => x.id)).toContain(
        t.id,
      );
      await expect(revokeToken(db, '00000000-0000-0000-0000-000000000000')).rejects.toThrow(/not found/);
    });

    it('lists never expose a hash or a token', async () => {
      await issueToken(db, { customerCode: 'A' });
      await issueToken(db, { admin: true });
      const list = await listTokens(db, {});
      expect(list).toHaveLength(2);
      for (const t of list) {
        expect(t).not.toHaveProperty('token_hash');
        expect(t).not.toHaveProperty('token');
      }
    });

    it('bootstraps tokens only when none exist', async () => {
      await issueToken(db, { customerCode: 'A' });
      let kept = false;
      expect(await bootstrapTokens(db, async () => void (kept = true))).toBeUndefined();
      expect(kept).toBe(false);
      expect(await listTokens(db, { includeRevoked: true })).toHaveLength(1);
    });
  });

  describe('db status and clean', () => {
    it('status reports the backend, counts, size and the newest readings', async () => {
      await insertReading(db, await unitOf(db, 'unit_B_1_1'), '2026-01-01T00:00:00Z', -18);
      await insertReading(db, await unitOf(db, 'unit_A_1_1'), '2026-01-02T00:00:00Z', -74.1);
      await insertReading(db, await unitOf(db, 'unit_A_1_2'), '2026-01-01T12:00:00Z', null);
      const s = await readDbStatus(db);
      expect(s.backend).toBe(db.backend);
      expect(s.sizeBytes).toBeGreaterThan(0);
      expect(s.counts.temperature_readings).toBe(3);
      // Newest first, by insertion.
      expect(s.recentReadings.map((r) => [r.customer_code, r.unit_code])).toEqual([
        ['A', 'unit_A_1_2'],
        ['A', 'unit_A_1_1'],
        ['B', 'unit_B_1_1'],
      ]);
    });

    it('clean deletes the matching readings only and rebuilds the touched rollups', async () => {
      const u = await unitOf(db, 'unit_B_1_1');
      await insertReading(db, u, '2026-02-01T10:00:00Z', -3);
      await insertReading(db, u, '2026-02-01T10:01:00Z', -4);
      // Ingested two hours ago: outside the clean of the last hour below.
      await insertReading(db, u, '2026-02-01T10:02:00Z', -5, new Date(Date.now() - 2 * 3_600_000));
      // Another customer's reading, ingested just as recently: untouched by a clean of B.
      await insertReading(db, await unitOf(db, 'unit_A_1_1'), '2026-02-01T10:00:00Z', -74.1);
      await db.query(
        `INSERT INTO reading_rollups_hourly (storage_unit_id, bucket_start, customer_id, facility_id, reading_count, null_count, sum_c, min_c, max_c)
         VALUES ($1, '2026-02-01T10:00:00Z', $2, $3, 3, 0, -12, -5, -3)`,
        [u.id, u.customer_id, u.facility_id],
      );
      const before = await countMatching(db, { customerId: u.customer_id, all: true });
      expect(before).toBe(3);
      const deleted = await deleteReadings(
        db,
        { customerId: u.customer_id, ingestedAfter: new Date(Date.now() - 3_600_000) },
        (tx, n) =>
          recordAudit(tx, {
            entityType: 'readings',
            entityId: null,
            customerId: u.customer_id,
            action: 'clean',
            details: { deleted: n },
            reason: 'storage test',
          }),
      );
      expect(deleted).toBe(2);
      // Its audit entry committed with it.
      const audit = await db.query<{ changes: unknown }>(
        "SELECT changes FROM audit_log WHERE entity_type = 'readings' AND action = 'clean'",
      );
      expect(audit).toEqual([{ changes: { _details: { deleted: 2 } } }]);
      const [roll] = await db.query<{ reading_count: number; sum_c: number; min_c: number; max_c: number }>(
        'SELECT reading_count, sum_c, min_c, max_c FROM reading_rollups_hourly WHERE storage_unit_id = $1',
        [u.id],
      );
      expect(roll).toEqual({ reading_count: 1, sum_c: -5, min_c: -5, max_c: -5 });
      // The touched day is rebuilt from raw rows in every zone kept for the customer.
      const [{ tz }] = (await db.query<{ tz: string }>('SELECT timezone AS tz FROM customers WHERE id = $1', [
        u.customer_id,
      ])) as [{ tz: string }];
      const days = await db.query(
        `SELECT time_zone, day::text AS day, reading_count, sum_c FROM reading_rollups_daily
         WHERE storage_unit_id = $1 ORDER BY time_zone`,
        [u.id],
      );
      expect(days).toEqual(
        [...new Set(['UTC', tz])]
          .sort()
          .map((z) => ({ time_zone: z, day: '2026-02-01', reading_count: 1, sum_c: -5 })),
      );
      const left = await countMatching(db, {});
      expect(left).toBe(2);
    });
  });
});
