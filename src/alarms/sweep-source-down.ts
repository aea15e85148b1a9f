import { findFailingSources, firstSuccessfulRunSince } from '../db/alarm-state-repo.ts';
import {
  appendAlarmEvent,
  clearAlarmById,
  insertAlarm,
  openSourceDownAlarms,
} from '../db/alarm-store-repo.ts';
import type { Db } from '../db/types.ts';
import { defaultNoDataSeconds } from '../domain/alarms/default-rules.ts';
import { alarmsRaisedTotal } from '../lib/metrics.ts';
import { queueAlarmNotifications } from './outbox.ts';

// source_down: one alarm per customer instead of one no_data alarm per unit when the source itself
// fails (ingestion_logs says so). It starts with the first failed run of the current streak and is
// confirmed once the streak has lasted the customer's no-data limit (3 collection periods, at least
// 15 min); the next run that does not fail clears it. While it is open the no-data sweep leaves the
// customer's units alone, and a backfill's no_data alarms inside it are not raised (it covers them).
// Critical: none of the customer's units is monitored while it lasts.

export const SOURCE_DOWN_RULE_ID = 'source-down';

export interface SourceDownSweepResult {
  opened: number;
  cleared: number;
}

/** Opens and clears the customers' source_down alarms as of `now`. */
export const runSourceDownSweep = async (db: Db, now: Date): Promise<SourceDownSweepResult> => {
  const result = { opened: 0, cleared: 0 };
  for (const f of await findFailingSources(db)) {
    const limitSeconds = defaultNoDataSeconds(f.data_frequency_seconds);
    const confirmedMs = f.failing_since.getTime() + limitSeconds * 1000;
    if (now.getTime() < confirmedMs) continue;
    await db.transaction(async (tx) => {
      const { id, inserted } = await insertAlarm(tx, {
        customerId: f.customer_id,
        unitId: null,
        facilityId: null,
        ruleId: SOURCE_DOWN_RULE_ID,
        startedAt: f.failing_since,
        kind: 'source_down',
        severity: 'critical',
        ruleSnapshot: {
          id: SOURCE_DOWN_RULE_ID,
          kind: 'source_down',
          severity: 'critical',
          no_data_seconds: limitSeconds,
        },
        thresholdC: null,
        confirmedAt: new Date(confirmedMs),
        detectedAt: now,
        late: false,
        figures: {
          peakC: null,
          minC: null,
          maxC: null,
          meanC: null,
          readings: 0,
          failedReads: 0,
          timeBeyondSeconds: 0,
          degreeMinutes: 0,
        },
      });
      if (!inserted) return;
      await appendAlarmEvent(tx, id, 'started', f.failing_since, {
        rule_id: SOURCE_DOWN_RULE_ID,
        kind: 'source_down',
        severity: 'critical',
        confirmed_at: new Date(confirmedMs).toISOString(),
        detected_at: now.toISOString(),
      });
      await queueAlarmNotifications(tx, id, 'started');
      alarmsRaisedTotal.inc({ kind: 'source_down', severity: 'critical' });
      result.opened += 1;
    });
  }
  for (const open of await openSourceDownAlarms(db)) {
    const recoveredAt = await firstSuccessfulRunSince(db, open.customer_id, open.started_at);
    if (!recoveredAt) continue;
    await db.transaction(async (tx) => {
      const clearedAt = new Date(Math.max(recoveredAt.getTime(), open.started_at.getTime()));
      if (!(await clearAlarmById(tx, open.id, clearedAt))) return;
      await appendAlarmEvent(tx, open.id, 'cleared', clearedAt, { reason: 'source answered again' });
      await queueAlarmNotifications(tx, open.id, 'cleared');
      result.cleared += 1;
    });
  }
  return result;
};
