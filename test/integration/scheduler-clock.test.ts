import net from 'node:net';
import { pino } from 'pino';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.ts';
import { getSchedule } from '../../src/db/schedule-repo.ts';
import type { Db } from '../../src/db/types.ts';
import { CodeMapCache } from '../../src/ingestion/code-map.ts';
import { Scheduler } from '../../src/ingestion/scheduler.ts';
import { manualClock } from '../../src/lib/clock.ts';
import { createInProcessQueue } from '../../src/queue/in-process.ts';
import type { ReadingQueue } from '../../src/queue/types.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import { seedTestFleet } from '../support/ingest-fixtures.ts';

const log = pino({ level: 'silent' });
const config = parseConfig({ TMS_SCHEDULER_LEASE_SECONDS: '30' });
const LEASE_MS = config.ingest.leaseSeconds * 1000;

// The scheduler's own timing (renewing leases, re-creating schedule rows) runs on its injected clock:
// these tests step the clock instead of sleeping for a third of a lease or ten seconds.
describeEachBackend('scheduler timing on an injected clock', ({ create }) => {
  let t: TestDatabase;
  let db: Db;
  let queue: ReadingQueue;
  let customers: Record<string, string>;
  let clock: ReturnType<typeof manualClock>;
  let scheduler: Scheduler;
  // A source that accepts connections and never answers, so runs stay in progress.
  let silent: net.Server;
  const held = new Set<net.Socket>();

  beforeEach(async () => {
    t = await create();
    db = t.db;
    customers = (await seedTestFleet(db, ['A', 'B'])).customers;
    silent = net.createServer((socket) => {
      held.add(socket);
      socket.on('close', () => held.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    await db.query('UPDATE customers SET api_url = $1', [`http://127.0.0.1:${port}/temperature/current`]);
    queue = createInProcessQueue({ log });
    clock = manualClock(new Date());
    scheduler = new Scheduler({
      deps: {
        db,
        queue,
        codeMaps: new CodeMapCache(db),
        clock,
        ingest: config.ingest,
        futureToleranceSeconds: 300,
      },
      log,
      owner: 'clocked',
    });
  });
  afterEach(async () => {
    // Hanging up on the held requests ends the runs, so stop() returns at once.
    for (const s of held) s.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
    await scheduler.stop();
    await queue.close();
    await t.drop();
  });

  const leaseOf = async (code: string) =>
    (await getSchedule(db, customers[code]!))!.lease_expires_at!.getTime();

  it('renews the leases of runs in progress once a third of the lease has passed on its clock', async () => {
    expect((await scheduler.tick()).map((c) => c.customer_code).sort()).toEqual(['A', 'B']);
    await scheduler.tick(); // first renewal of the new runs
    const leased = await leaseOf('A');
    clock.advance(LEASE_MS / 3 - 1);
    await scheduler.tick();
    expect(await leaseOf('A')).toBe(leased);
    clock.advance(1);
    await scheduler.tick();
    expect(await leaseOf('A')).toBeGreaterThan(leased);
    expect(scheduler.running.slice().sort()).toEqual([customers.A, customers.B].sort());
  });

  it('re-creates missing schedule rows every 10 s of its clock, not at every tick', async () => {
    const scheduleRows = async () =>
      (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM ingestion_schedule'))[0]!.n;
    await scheduler.tick();
    await db.query('DELETE FROM ingestion_schedule WHERE customer_id = $1', [customers.B]);
    clock.advance(9_999);
    await scheduler.tick();
    expect(await scheduleRows()).toBe(1);
    clock.advance(1);
    await scheduler.tick();
    expect(await scheduleRows()).toBe(2);
  });
});
