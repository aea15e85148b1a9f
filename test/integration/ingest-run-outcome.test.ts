import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  ABANDONED_MESSAGE,
  createRunLog,
  EVERY_ROW_REJECTED_MESSAGE,
  getRunLog,
  recordProcessed,
} from '../../src/db/ingestion-repo.ts';
import { getSchedule } from '../../src/db/schedule-repo.ts';
import type { Db } from '../../src/db/types.ts';
import { emptyRejections } from '../../src/ingestion/processor.ts';
import { completeRun, writeBatch } from '../../src/ingestion/writer.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import { makeReadings, seedTestFleet, type SeededUnit } from '../support/ingest-fixtures.ts';

const T0 = Date.parse('2026-03-01T10:30:00Z');
const WINDOW_END = new Date(T0 + 3_600_000);

interface Case {
  name: string;
  processed: number;
  accepted: number;
  failed: number;
  /** The run had been marked abandoned before its last batch arrived. */
  abandoned?: boolean;
  status: string;
  error: string | null;
  hwmMoves: boolean;
}

// One rule for a run's status, error_message and high-water mark, whichever path ends the run:
// the writer's batch statement (its last batch) or completeRun (nothing was left to write).
const CASES: Case[] = [
  {
    name: 'nothing sent',
    processed: 0,
    accepted: 0,
    failed: 0,
    status: 'warning',
    error: null,
    hwmMoves: true,
  },
  {
    name: 'every row rejected',
    processed: 4,
    accepted: 0,
    failed: 4,
    status: 'failure',
    error: EVERY_ROW_REJECTED_MESSAGE,
    hwmMoves: false,
  },
  {
    name: 'some rejected',
    processed: 5,
    accepted: 3,
    failed: 2,
    status: 'partial',
    error: null,
    hwmMoves: true,
  },
  {
    name: 'all stored',
    processed: 3,
    accepted: 3,
    failed: 0,
    status: 'success',
    error: null,
    hwmMoves: true,
  },
  {
    name: 'completed after being marked abandoned',
    processed: 3,
    accepted: 3,
    failed: 0,
    abandoned: true,
    status: 'success',
    error: null,
    hwmMoves: true,
  },
];

describeEachBackend('ingest run outcome', ({ create }) => {
  let t: TestDatabase;
  let db: Db;
  let customers: Record<string, string>;
  let units: SeededUnit[];

  beforeEach(async () => {
    t = await create();
    db = t.db;
    ({ customers, units } = await seedTestFleet(db, ['A', 'B']));
  });
  afterEach(async () => t.drop());

  /** A collection run of customer B that has processed its rows; readings are 'accepted' of them. */
  const openRun = async (c: Case) => {
    const customerId = customers.B!;
    const logId = await createRunLog(db, {
      customerId,
      type: 'api',
      sourceUrl: null,
      windowStart: new Date(T0),
      windowEnd: WINDOW_END,
    });
    const rejections = emptyRejections();
    if (c.failed) rejections.counts.bad_unit = c.failed;
    await recordProcessed(db, logId, {
      processed: c.processed,
      rejected: c.failed,
      rejections,
      accepted: c.accepted,
    });
    if (c.abandoned)
      await db.query('UPDATE ingestion_logs SET status = $2, error_message = $3 WHERE id = $1', [
        logId,
        'failure',
        ABANDONED_MESSAGE,
      ]);
    const own = units.filter((u) => u.customerId === customerId).slice(0, 1);
    return { customerId, logId, readings: makeReadings(own, T0, c.accepted) };
  };

  const outcome = async (customerId: string, logId: string) => {
    const log = (await getRunLog(db, logId))!;
    const hwm = (await getSchedule(db, customerId))?.high_water_mark ?? null;
    return {
      status: log.status,
      error: log.error_message,
      ended: log.end_time !== null,
      hwmMoves: hwm !== null,
    };
  };

  for (const c of CASES) {
    it(`ends a run the same way from the writer's last batch and from completeRun: ${c.name}`, async () => {
      const expected = { status: c.status, error: c.error, ended: true, hwmMoves: c.hwmMoves };

      const viaWriter = await openRun(c);
      const written = await writeBatch(db, {
        batchId: randomUUID(),
        ingestionLogId: viaWriter.logId,
        customerId: viaWriter.customerId,
        readings: viaWriter.readings,
      });
      expect(written.finalised).toMatchObject({ status: c.status });
      expect(await outcome(viaWriter.customerId, viaWriter.logId)).toEqual(expected);

      await db.query('UPDATE ingestion_schedule SET high_water_mark = NULL');
      const viaComplete = await openRun(c);
      // Its readings were all stored before (by the run above): every one is a duplicate.
      await db.query('UPDATE ingestion_logs SET records_duplicate = records_accepted WHERE id = $1', [
        viaComplete.logId,
      ]);
      expect(await db.transaction((tx) => completeRun(tx, viaComplete.logId))).toMatchObject({
        status: c.status,
      });
      expect(await outcome(viaComplete.customerId, viaComplete.logId)).toEqual(expected);
    });
  }

  it("stores a reading under its unit's own customer and facility, whatever the message claims", async () => {
    const unitOfB = units.find((u) => u.customerId === customers.B)!;
    const facilityOfA = units.find((u) => u.customerId === customers.A)!.facilityId;
    const [reading] = makeReadings([unitOfB], T0, 1);
    await writeBatch(db, {
      batchId: randomUUID(),
      ingestionLogId: null,
      customerId: customers.A!,
      readings: [{ ...reading!, facilityId: facilityOfA }],
    });
    const stored = await db.query(
      'SELECT customer_id, facility_id FROM temperature_readings WHERE storage_unit_id = $1',
      [unitOfB.storageUnitId],
    );
    expect(stored).toEqual([{ customer_id: customers.B, facility_id: unitOfB.facilityId }]);
    for (const table of ['reading_rollups_hourly', 'reading_rollups_daily'])
      expect(await db.query(`SELECT DISTINCT customer_id, facility_id FROM ${table}`), table).toEqual([
        { customer_id: customers.B, facility_id: unitOfB.facilityId },
      ]);
  });
});
