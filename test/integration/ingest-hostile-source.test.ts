import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.ts';
import type { Db } from '../../src/db/types.ts';
import { expectedReadingRate } from '../../src/db/unit-rates-repo.ts';
import { CodeMapCache } from '../../src/ingestion/code-map.ts';
import type { PipelineDeps } from '../../src/ingestion/pipeline.ts';
import { DEFAULT_READING_INTERVAL_SECONDS, rowCapFor } from '../../src/ingestion/row-cap.ts';
import { Scheduler } from '../../src/ingestion/scheduler.ts';
import { writeBatch } from '../../src/ingestion/writer.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createInProcessQueue } from '../../src/queue/in-process.ts';
import type { ReadingQueue } from '../../src/queue/types.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import { seedTestFleet } from '../support/ingest-fixtures.ts';

const log = pino({ level: 'silent' });
const config = parseConfig({ TMS_INITIAL_BACKFILL_HOURS: '2' });
/** Just under the default fetch size limit (64 MiB), so only the row cap can stop it. */
const BODY_BYTES = 64 * 1024 * 1024 - 1024;
const MB = 1024 * 1024;

interface Served {
  sent: number;
  finished: boolean;
  closed: Promise<void>;
}

/** Streams `head`, then `unit` repeated up to about BODY_BYTES, then `tail`, honouring back-pressure. */
const serveHuge = (res: http.ServerResponse, type: string, head: string, unit: string, tail: string) => {
  const served: Served = { sent: 0, finished: false, closed: Promise.resolve() };
  served.closed = new Promise((r) => res.on('close', () => r()));
  const chunk = Buffer.from(unit.repeat(Math.floor(65_536 / unit.length)));
  res.writeHead(200, { 'content-type': type });
  res.write(head);
  const pump = () => {
    while (served.sent + chunk.length <= BODY_BYTES && !res.destroyed) {
      served.sent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end(tail, () => (served.finished = true));
  };
  pump();
  return served;
};

describeEachBackend('hostile sources', ({ create }) => {
  let t: TestDatabase;
  let db: Db;
  let queue: ReadingQueue;
  let deps: PipelineDeps;
  let customers: Record<string, string>;
  let source: http.Server;
  let probe: http.Server;
  const served: Record<string, Served> = {};

  beforeEach(async () => {
    t = await create();
    db = t.db;
    customers = (await seedTestFleet(db, ['A', 'B'])).customers;
    source = http.createServer((req, res) => {
      if (req.url!.startsWith('/json')) served.json = serveHuge(res, 'application/json', '[', '{},', '{}]');
      else served.csv = serveHuge(res, 'text/csv', 'facility_id\n', '1\n', '');
    });
    probe = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => source.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(source.address() as AddressInfo).port}`;
    await db.query(
      "UPDATE customers SET api_url = $1, data_sharing_method = 'api' WHERE customer_code = 'A'",
      [`${base}/json`],
    );
    await db.query(
      "UPDATE customers SET api_url = $1, data_sharing_method = 'csv' WHERE customer_code = 'B'",
      [`${base}/csv`],
    );
    queue = createInProcessQueue({ log });
    await queue.consume(async (b) => void (await writeBatch(db, b)));
    deps = {
      db,
      queue,
      codeMaps: new CodeMapCache(db),
      clock: systemClock,
      ingest: config.ingest,
      futureToleranceSeconds: 300,
    };
  });
  afterEach(async () => {
    await queue.close();
    source.closeAllConnections();
    probe.closeAllConnections();
    await new Promise((r) => source.close(r));
    await new Promise((r) => probe.close(r));
    await t.drop();
  });

  /** Requests `probe` every 50 ms until stopped; the worst latency and the peak heap seen meanwhile. */
  const pollWhile = () => {
    const url = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/`;
    const heap0 = process.memoryUsage().heapUsed;
    const stats = { maxLatencyMs: 0, requests: 0, peakHeapGrowth: 0 };
    let stopped = false;
    const loop = (async () => {
      while (!stopped) {
        const t0 = performance.now();
        await new Promise<void>((resolve, reject) =>
          http.get(url, (res) => res.resume().on('end', resolve)).on('error', reject),
        );
        stats.maxLatencyMs = Math.max(stats.maxLatencyMs, performance.now() - t0);
        stats.requests++;
        stats.peakHeapGrowth = Math.max(stats.peakHeapGrowth, process.memoryUsage().heapUsed - heap0);
        await sleep(50);
      }
    })();
    return async () => {
      stopped = true;
      await loop;
      return stats;
    };
  };

  it('stops a 64 MB JSON of {} and a 64 MB CSV of tiny rows at the row cap, logs why, and stays responsive', async () => {
    const stop = pollWhile();
    const scheduler = new Scheduler({ deps, log });
    expect((await scheduler.tick()).map((c) => c.customer_code).sort()).toEqual(['A', 'B']);
    await scheduler.stop();
    await Promise.all([served.json!.closed, served.csv!.closed]);
    const stats = await stop();

    for (const code of ['A', 'B']) {
      const rate = await expectedReadingRate(db, customers[code]!, DEFAULT_READING_INTERVAL_SECONDS);
      const cap = rowCapFor({ ...rate, windowMs: 2 * 3_600_000, ceiling: config.ingest.maxRowsPerRun });
      const [run] = await db.query<Record<string, any>>( // eslint-disable-line @typescript-eslint/no-explicit-any
        'SELECT * FROM ingestion_logs WHERE customer_id = $1',
        [customers[code]],
      );
      expect(run).toMatchObject({ status: 'failure', records_processed: cap + 1, records_succeeded: 0 });
      expect(run!.error_message).toMatch(
        new RegExp(`^row_cap_exceeded: the source sent more than ${cap} rows`),
      );
      expect(run!.rejection_reasons.counts).toEqual({ row_cap_exceeded: cap + 1 });
      expect(run!.rejection_reasons.examples[0].detail).toMatch(/stopped reading, nothing stored/);
      const [{ n }] = (await db.query(
        'SELECT count(*)::int AS n FROM temperature_readings WHERE customer_id = $1',
        [customers[code]],
      )) as [{ n: number }];
      expect(n).toBe(0);
    }
    // Reading stopped at the cap and the connection was dropped: far less than the body was sent.
    expect(served.json!.finished).toBe(false);
    expect(served.csv!.finished).toBe(false);
    expect(served.json!.sent).toBeLessThan(16 * MB);
    expect(served.csv!.sent).toBeLessThan(16 * MB);
    expect(stats.requests).toBeGreaterThan(0);
    // Before the cap one such body blocked the event loop for ~40 s (2 GB of heap). The bound is loose
    // because the test machine is shared: on 2 busy cores a cold first parse alone can take 2 s.
    expect(stats.maxLatencyMs).toBeLessThan(5_000);
    expect(stats.peakHeapGrowth).toBeLessThan(300 * MB);
  });
});
