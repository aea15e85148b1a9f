import net from 'node:net';
import { Writable } from 'node:stream';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { revokeToken } from '../../src/auth/tokens.ts';
import { parseConfig } from '../../src/config/config.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { startApi } from '../../src/roles/api.ts';
import type { RoleHandle } from '../../src/roles/types.ts';
import { createPostgresDatabase, type TestDatabase } from '../support/databases.ts';
import { seedDefaultFleet, tokenFor, unitsOf, type UnitRef } from '../support/factories.ts';
import { waitUntil } from '../support/wait.ts';

// The streaming standby of scripts/pg-replica.sh (.ci/run makes it): 127.0.0.1:5433 beside the
// primary the other suites use. Without one, this suite is skipped and says why.
const primaryAdminUrl = inject('postgresAdminUrl');
const replicaAdminUrl = (() => {
  if (process.env.TMS_TEST_PG_REPLICA_URL) return process.env.TMS_TEST_PG_REPLICA_URL;
  if (!primaryAdminUrl) return undefined;
  const u = new URL(primaryAdminUrl);
  u.port = '5433';
  return u.toString();
})();

const standbyProblem = async (): Promise<string | undefined> => {
  if (!primaryAdminUrl || !replicaAdminUrl) return 'no PostgreSQL primary for this run';
  const c = new pg.Client({ connectionString: replicaAdminUrl, connectionTimeoutMillis: 3_000 });
  try {
    await c.connect();
    const [row] = (await c.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby')).rows;
    return row?.standby ? undefined : `${replicaAdminUrl} is not a standby (pg_is_in_recovery() is false)`;
  } catch (e) {
    return `no standby at ${replicaAdminUrl} (${(e as Error).message}); make one with scripts/pg-replica.sh`;
  } finally {
    await c.end().catch(() => undefined);
  }
};

const problem = await standbyProblem();
if (problem) console.warn(`\n[tms tests] read replica suite SKIPPED: ${problem}\n`);

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.once('error', reject);
  });

/** A logger whose lines the test can read. */
const captureLog = () => {
  const lines: { level: number; msg: string; module?: string }[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
};

const sameDbOn = (adminUrl: string, dbUrl: string): string => {
  const u = new URL(adminUrl);
  u.pathname = new URL(dbUrl).pathname;
  return u.toString();
};

describe.skipIf(Boolean(problem))('read replica (DATABASE_READ_URL) [postgres]', () => {
  let t: TestDatabase;
  let primaryAdmin: pg.Client;
  let replicaAdmin: pg.Client;
  let api: RoleHandle;
  let port: number;
  let unit: UnitRef;
  let writeToken: string;

  /** Waits until the replica has replayed everything the primary has written so far. */
  const waitForReplay = async () => {
    const { lsn } = (await primaryAdmin.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn'))
      .rows[0]!;
    await waitUntil(
      'the replica to replay the primary',
      async () => {
        const r = await replicaAdmin.query<{ ok: boolean }>(
          'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok',
          [lsn],
        );
        return r.rows[0]!.ok;
      },
      60_000,
    );
  };
  const pauseReplay = () => replicaAdmin.query('SELECT pg_wal_replay_pause()');
  const resumeReplay = () => replicaAdmin.query('SELECT pg_wal_replay_resume()');

  const get = async (p: number, path: string, token?: string) => {
    const res = await fetch(`http://127.0.0.1:${p}${path}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(15_000),
    });
    return { status: res.status, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const send = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(15_000),
    });
    return { status: res.status, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  beforeAll(async () => {
    t = await createPostgresDatabase();
    await seedDefaultFleet(t.db);
    [unit] = (await unitsOf(t.db, 'B')) as [UnitRef];
    writeToken = (await tokenFor(t.db, 'B', ['read', 'write'])).token;
    primaryAdmin = new pg.Client({ connectionString: primaryAdminUrl! });
    replicaAdmin = new pg.Client({ connectionString: replicaAdminUrl! });
    await primaryAdmin.connect();
    await replicaAdmin.connect();
    await resumeReplay(); // in case an earlier run was killed while it was paused
    await waitForReplay();
    port = await freePort();
    const config = parseConfig({
      DATABASE_URL: t.url,
      DATABASE_READ_URL: sameDbOn(replicaAdminUrl!, t.url!),
      PORT: String(port),
      TMS_DATA_DIR: '/nonexistent-unused',
    });
    api = await startApi({ config, log: captureLog().log, clock: systemClock, db: t.db, services: {} });
  });

  afterAll(async () => {
    // Never leave the shared standby paused.
    await replicaAdmin?.query('SELECT pg_wal_replay_resume()').catch(() => undefined);
    await api?.stop();
    await replicaAdmin?.end();
    await primaryAdmin?.end();
    await t?.drop();
  });

  it('serves reading pages, latest and stats from the replica: a reading posted while replay is paused is in POST’s answer (primary), not in the reads until replay resumes', async () => {
    const at = new Date(Date.now() - 60_000);
    const since = new Date(at.getTime() - 3_600_000).toISOString();
    const until = new Date(at.getTime() + 1_000).toISOString();
    const pagePath = `/api/v1/temperature/unit/${unit.id}?start_date=${since}&end_date=${until}&limit=10`;
    const statsPath = `/api/v1/temperature/stats?start_date=${since}&end_date=${until}`;
    const before = await get(port, pagePath, writeToken);
    expect(before.status).toBe(200);
    const statsBefore = await get(port, statsPath, writeToken);
    expect(statsBefore.status).toBe(200);

    // The read pool is connected to the replica, under its own application_name.
    const readers = await replicaAdmin.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'tms api read' AND datname = $1",
      [new URL(t.url!).pathname.slice(1)],
    );
    expect(readers.rows[0].n).toBeGreaterThan(0);

    await pauseReplay();
    try {
      const posted = await send('POST', '/api/v1/temperature', writeToken, {
        storage_unit_id: unit.id,
        temperature: 4.25,
        temperature_unit: 'C',
        recorded_at: at.toISOString(),
        sensor_id: 'replica-test',
        quality_score: 0.95,
        equipment_status: 'normal',
      });
      expect(posted.status).toBe(201);
      expect(posted.body.sensor_id).toBe('replica-test');
      // The primary has it at once.
      const stored = await t.db.query('SELECT id FROM temperature_readings WHERE id = $1', [posted.body.id]);
      expect(stored).toHaveLength(1);

      // The replica-backed reads do not, while replay is paused.
      const during = await get(port, pagePath, writeToken);
      expect(during.status).toBe(200);
      expect(during.body.total).toBe(before.body.total);
      expect(during.body.items.map((r: { id: string }) => r.id)).not.toContain(posted.body.id);
      const latest = await get(port, '/api/v1/temperature/latest?limit=100', writeToken);
      expect(latest.body.find((r: { id: string }) => r.id === posted.body.id)).toBeUndefined();
      const statsDuring = await get(port, statsPath, writeToken);
      expect(statsDuring.body.reading_count).toBe(statsBefore.body.reading_count);

      // /health shows the replica behind (its lag grows while replay stays paused).
      await waitUntil(
        '/health to report replica lag',
        async () => ((await get(port, '/health')).body.replica_lag_seconds ?? 0) > 0,
        10_000,
        100,
      );
      const health = await get(port, '/health');
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ status: 'ok', database: 'ok', database_read: 'ok' });
    } finally {
      await resumeReplay();
    }

    await waitUntil(
      'the reading to reach the replica-backed page',
      async () => (await get(port, pagePath, writeToken)).body.total === before.body.total + 1,
      60_000,
      100,
    );
    const after = await get(port, pagePath, writeToken);
    expect(after.body.items[0]).toMatchObject({ sensor_id: 'replica-test', temperature: 4.25 });
    const statsAfter = await get(port, statsPath, writeToken);
    expect(statsAfter.body.reading_count).toBe(statsBefore.body.reading_count + 1);
  });

  it('checks tokens on the primary: while replay is paused, a new token works at once and a revoked one is refused at once', async () => {
    await waitForReplay();
    await pauseReplay();
    try {
      // Created through the API while the replica cannot know it: usable on a replica-backed read.
      const created = await send('POST', '/api/v1/customers/tokens', writeToken, {
        token_name: 'replica-test',
        permissions: ['read'],
      });
      expect(created.status).toBe(201);
      expect((await get(port, '/api/v1/temperature?limit=1', created.body.token)).status).toBe(200);

      // Revoked through the API: refused on the next request, though the replica still holds it as active.
      const revoked = await send('DELETE', `/api/v1/customers/tokens/${created.body.id}`, writeToken);
      expect(revoked.status).toBe(200);
      expect((await get(port, '/api/v1/temperature?limit=1', created.body.token)).status).toBe(401);

      // Revoked in the database (as `tms tokens revoke` does): refused once the 1 s token cache expires.
      const other = await tokenFor(t.db, 'B');
      expect((await get(port, '/api/v1/temperature?limit=1', other.token)).status).toBe(200);
      await revokeToken(t.db, other.id);
      await waitUntil(
        'the revoked token to be refused',
        async () => (await get(port, '/api/v1/temperature?limit=1', other.token)).status === 401,
        3_000,
        100,
      );
      const onReplica = await replicaAdmin.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'tms api read'`,
      );
      expect(onReplica.rows[0].n).toBeGreaterThan(0);
    } finally {
      await resumeReplay();
    }
  });

  it('/health reports the replica and its lag once it has caught up', async () => {
    await waitForReplay();
    const health = await get(port, '/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', database_read: 'ok' });
    expect(typeof health.body.replica_lag_seconds).toBe('number');
    expect(health.body.replica_lag_seconds).toBeLessThan(5);
  });

  it('reads from the primary, with one warning, while the replica is unreachable; /health says down and stays 200', async () => {
    const closedPort = await freePort();
    const { log, lines } = captureLog();
    const downPort = await freePort();
    const config = parseConfig({
      DATABASE_URL: t.url,
      DATABASE_READ_URL: sameDbOn(`postgres://postgres@127.0.0.1:${closedPort}/x`, t.url!),
      PORT: String(downPort),
      TMS_DATA_DIR: '/nonexistent-unused',
    });
    const down = await startApi({ config, log, clock: systemClock, db: t.db, services: {} });
    try {
      // A reading the replica cannot have: this API has only ever reached the primary.
      const posted = await send('POST', '/api/v1/temperature', writeToken, {
        storage_unit_id: unit.id,
        temperature: 5.5,
        temperature_unit: 'C',
        recorded_at: new Date(Date.now() - 30_000).toISOString(),
        sensor_id: 'primary-only',
        quality_score: 0.9,
        equipment_status: 'normal',
      });
      expect(posted.status).toBe(201);
      const page = await get(downPort, `/api/v1/temperature/unit/${unit.id}?limit=5`, writeToken);
      expect(page.status).toBe(200);
      expect(page.body.items.map((r: { id: string }) => r.id)).toContain(posted.body.id);
      for (const path of [
        '/api/v1/temperature/latest',
        '/api/v1/temperature/stats',
        `/api/v1/analytics/temperature/trends?unit_id=${unit.id}&interval=day`,
        '/api/v1/analytics/compliance?window=24h',
        '/api/v1/audit?limit=5',
      ])
        expect((await get(downPort, path, writeToken)).status, path).toBe(200);
      const warnings = lines.filter((l) => l.level === 40 && l.module === 'read-replica');
      expect(warnings.map((l) => l.msg)).toEqual([
        'read replica unreachable: reading from the primary until it answers',
      ]);

      const health = await get(downPort, '/health');
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({
        status: 'ok',
        database: 'ok',
        database_read: 'down',
        replica_lag_seconds: null,
      });
    } finally {
      await down.stop();
    }
  });
});
