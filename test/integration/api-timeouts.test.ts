import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.ts';
import type { Db } from '../../src/db/types.ts';
import { buildApp } from '../../src/http/app.ts';
import { writeBatch } from '../../src/ingestion/writer.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { startApi } from '../../src/roles/api.ts';
import type { RoleHandle } from '../../src/roles/types.ts';
import { backendCases, createPgliteDatabase, type TestDatabase } from '../support/databases.ts';
import { seedDefaultFleet, tokenFor, unitsOf } from '../support/factories.ts';

const silent = createLogger('silent', false);
const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.once('error', reject);
  });

/** Sends `text` on a raw connection and resolves with how long the server kept it open, and what it said. */
const holdOpen = (port: number, text: string, giveUpMs: number): Promise<{ ms: number; reply: string }> =>
  new Promise((resolve) => {
    const t0 = Date.now();
    let reply = '';
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    socket.on('data', (d) => (reply += d.toString()));
    const done = () => resolve({ ms: Date.now() - t0, reply });
    socket.once('close', done);
    socket.once('error', () => undefined);
    setTimeout(() => socket.destroy(), giveUpMs).unref();
  });

describe('api connection timeouts', () => {
  let t: TestDatabase;
  let port: number;
  let close: () => Promise<void>;

  beforeAll(async () => {
    t = await createPgliteDatabase();
    const app = await buildApp({
      db: t.db,
      log: silent,
      clock: systemClock,
      limits: { headersTimeoutMs: 500, requestTimeoutMs: 1_000 },
    });
    port = await freePort();
    await app.listen({ host: '127.0.0.1', port });
    close = () => app.close();
  });
  afterAll(async () => {
    await close?.();
    await t?.drop();
  });

  it('closes a connection whose headers do not arrive within headersTimeoutMs (slowloris)', async () => {
    const r = await holdOpen(port, 'GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: 1', 10_000);
    expect(r.ms).toBeLessThan(5_000);
    expect(r.reply).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes a connection whose body does not arrive within requestTimeoutMs', async () => {
    const head =
      'POST /api/v1/temperature HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a"';
    const r = await holdOpen(port, head, 10_000);
    expect(r.ms).toBeLessThan(5_000);
  });
});

// statement_timeout is a PostgreSQL feature; PGlite accepts the setting but never fires it (db/pglite.ts).
const postgres = backendCases().find((c) => c.backend === 'postgres');
describe.skipIf(!postgres)('api statement budget [postgres]', () => {
  let t: TestDatabase;
  let api: RoleHandle;
  let port: number;

  beforeAll(async () => {
    t = await postgres!.create();
    await seedDefaultFleet(t.db);
    port = await freePort();
    const config = parseConfig({
      DATABASE_URL: t.url,
      PORT: String(port),
      TMS_STATEMENT_TIMEOUT_MS: '300',
      TMS_DATA_DIR: '/nonexistent-unused',
    });
    api = await startApi({ config, log: silent, clock: systemClock, db: t.db, services: {} });
  });
  afterAll(async () => {
    await api?.stop();
    await t?.drop();
  });

  it('cancels an API statement past TMS_STATEMENT_TIMEOUT_MS with a 503 {"detail"}, while the writer on the shared pool waits it out', async () => {
    const tok = await tokenFor(t.db, 'B');
    const [unit] = await unitsOf(t.db, 'B');
    const locker = new pg.Client({ connectionString: t.url });
    await locker.connect();
    try {
      // Another session holds the readings table: every statement touching it waits.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE temperature_readings IN ACCESS EXCLUSIVE MODE');
      const writer = writeBatch(t.db as Db, {
        batchId: randomUUID(),
        ingestionLogId: null,
        customerId: unit!.customer_id,
        readings: [
          {
            storageUnitId: unit!.id,
            facilityId: unit!.facility_id,
            recordedAtMs: Date.now() - 60_000,
            temperatureC: 3.5,
            sourceValue: 3.5,
            sourceUnit: 'C',
            sensorId: 's1',
            qualityScore: 0.9,
            equipmentStatus: 'normal',
          },
        ],
      });
      const t0 = Date.now();
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/temperature?limit=5`, {
        headers: { authorization: `Bearer ${tok.token}` },
        signal: AbortSignal.timeout(10_000),
      });
      const elapsed = Date.now() - t0;
      expect(res.status).toBe(503);
      const body = (await res.json()) as { detail: string };
      expect(body.detail).toMatch(/time budget of 0\.3 s.*narrow the time range/);
      expect(elapsed).toBeLessThan(5_000);
      // The writer's statement has waited longer than the API's budget by now, and is not cut.
      await sleep(500);
      await locker.query('ROLLBACK');
      expect((await writer).stored).toBe(1);
    } finally {
      await locker.end();
    }
  });
});
