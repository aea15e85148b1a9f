import {
  claimNoDataDue,
  createSweepUnitStates,
  saveUnitStates,
  type UnitStateUpdate,
} from '../db/alarm-state-repo.ts';
import type { Db } from '../db/types.ts';
import { checkNoData } from '../domain/alarms/data-loss.ts';
import type { AlarmEvent, AlarmRule } from '../domain/alarms/types.ts';
import type { Logger } from '../lib/logger.ts';
import { noDataDueMs, reconcileRules, type RuleStates } from './evaluator-core.ts';
import { recordUnitOutcome } from './evaluator-record.ts';
import { rulesForUnits } from './unit-rules.ts';

// The clock-driven half of no_data: a unit that stops reporting has no reading to evaluate, so the
// sweep looks at the units whose alarm_unit_state.no_data_due_at (newest reading + limit, set by the
// evaluator) has passed. Walking that partial index costs next to nothing when nothing is due, whatever
// the number of units. A unit that never reported is measured from its creation.

export interface NoDataSweepResult {
  /** State rows created for units never seen before. */
  created: number;
  /** Units looked at (their due time had passed). */
  due: number;
  opened: number;
}

const silentLog = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
} as unknown as Logger;

/** One transaction over up to `limit` due units. */
const sweepBatch = (
  db: Db,
  now: Date,
  limit: number,
  log: Logger,
): Promise<{ due: number; opened: number }> =>
  db.transaction(async (tx) => {
    const rows = await claimNoDataDue(tx, now, limit);
    if (rows.length === 0) return { due: 0, opened: 0 };
    const rules = await rulesForUnits(
      tx,
      rows.map((r) => r.storage_unit_id),
    );
    const updates: UnitStateUpdate[] = [];
    let opened = 0;
    for (const row of rows) {
      const unit = rules.get(row.storage_unit_id);
      if (!unit) continue;
      const watermark = row.watermark?.getTime() ?? null;
      const { entries, retired } = reconcileRules(unit.rules, (row.states ?? {}) as RuleStates, watermark);
      // Silence is measured from the newest reading, or from the unit's creation if it never reported.
      const silentSinceMs = (row.last_reading_at ?? row.unit_created_at).getTime();
      const events: { rule: AlarmRule; event: AlarmEvent }[] = [];
      for (const rule of unit.rules) {
        if (rule.kind !== 'no_data' || !rule.enabled) continue;
        const entry = entries[rule.id] as RuleStates[string];
        const state = entry.state.last
          ? entry.state
          : { ...entry.state, last: { recordedAtMs: silentSinceMs, temperatureC: null } };
        const r = checkNoData(rule, state, now.getTime());
        if (r.events.length === 0) continue;
        entries[rule.id] = { ...entry, state: r.state };
        for (const event of r.events) events.push({ rule, event });
      }
      const counts = await recordUnitOutcome(
        tx,
        {
          unitId: unit.unitId,
          customerId: unit.customerId,
          facilityId: unit.facilityId,
          reportingPeriodSeconds: unit.reportingPeriodSeconds,
        },
        { rules: unit.rules, events, entries, retired, readings: [], watermarkMs: watermark },
        now,
        log,
      );
      opened += counts.raised;
      updates.push({
        unitId: unit.unitId,
        states: entries,
        watermarkMs: watermark,
        lastReadingMs: row.last_reading_at?.getTime() ?? null,
        noDataDueMs: noDataDueMs(unit.rules, entries, silentSinceMs),
      });
    }
    await saveUnitStates(tx, updates);
    return { due: rows.length, opened };
  });

/**
 * Opens the no_data alarms due at `now` (domain checkNoData: started at last reading + limit), except
 * for units of a customer whose source_down alarm is open (it covers them) and units with readings
 * awaiting evaluation.
 */
export const runNoDataSweep = async (
  db: Db,
  now: Date,
  opts: { limit?: number; log?: Logger; createStates?: boolean } = {},
): Promise<NoDataSweepResult> => {
  const limit = opts.limit ?? 500;
  const log = opts.log ?? silentLog;
  // Finding units without a state row scans every unit: the worker asks for it every few minutes
  // only (a new unit that never reports is then seen a little later, its alarm start is the same).
  const created = opts.createStates === false ? 0 : await createSweepUnitStates(db);
  const total = { created, due: 0, opened: 0 };
  // Bounded: a full batch means more may be due, but a sweep never runs away.
  for (let i = 0; i < 100; i++) {
    const r = await sweepBatch(db, now, limit, log);
    total.due += r.due;
    total.opened += r.opened;
    if (r.due < limit) break;
  }
  return total;
};
