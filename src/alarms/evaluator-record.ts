import {
  appendAlarmEvent,
  clearAlarmById,
  deleteUnannouncedAlarm,
  findAlarmId,
  insertAlarm,
  moveAlarmStart,
  sourceDownCovers,
  unitAlarmsSince,
  updateAlarmOutcome,
  type AlarmFigures,
  type AlarmKey,
  type OpenFigures,
  type StoredAlarmRef,
} from '../db/alarm-store-repo.ts';
import type { Sql } from '../db/types.ts';
import { openAlarm } from '../domain/alarms/evaluate.ts';
import type { AlarmEvent, AlarmReading, AlarmRule, AlarmStats } from '../domain/alarms/types.ts';
import { overdueAfterMs } from '../fleet/feed.ts';
import type { Logger } from '../lib/logger.ts';
import { alarmsRaisedTotal } from '../lib/metrics.ts';
import type { RetiredAlarm, RuleStates } from './evaluator-core.ts';
import { queueAlarmNotifications } from './outbox.ts';

// Stores what one unit's evaluation found, in the caller's transaction: alarm rows (never twice: the
// identity key), their figures, 'started'/'cleared' events and the outbox rows of the notifications.
// A replay stores the same way and reconciles: alarms it reproduces are updated, new ones inserted.
// One it does not reproduce (raised from a series with holes, before the late readings came) is
// deleted if nobody can have seen it announced, so every order of arrival ends with the same alarms;
// a notified, acknowledged or shelved one is never deleted: it is kept, cleared, and logged.

/** Where a unit's alarms belong and how late an alarm may be detected before it counts as `late`. */
export interface UnitPlace {
  unitId: string;
  customerId: string;
  facilityId: string;
  reportingPeriodSeconds: number;
}

export interface UnitOutcome {
  rules: readonly AlarmRule[];
  events: readonly { rule: AlarmRule; event: AlarmEvent }[];
  /** The entries after the run: open alarms get their running figures from them. */
  entries: RuleStates;
  retired: readonly RetiredAlarm[];
  /** The readings evaluated (sorted): the value an event reports is looked up in them. */
  readings: readonly AlarmReading[];
  /** The unit's newest evaluated reading: a retired alarm ends there. */
  watermarkMs: number | null;
  /** Set for a replay: alarms started after this instant (null: all) must be reproduced. */
  replayFromMs?: number | null;
  /** When given (and not a replay), open alarms' running figures are collected here for one bulk update. */
  openFigures?: OpenFigures[];
}

export interface RecordCounts {
  raised: number;
  cleared: number;
}

const figuresOf = (s: AlarmStats): AlarmFigures => ({
  peakC: s.peakC,
  minC: s.minC,
  maxC: s.maxC,
  meanC: s.meanC,
  readings: s.readings,
  failedReads: s.failedReads,
  timeBeyondSeconds: s.timeBeyondSeconds,
  degreeMinutes: s.degreeMinutes,
});

const NO_FIGURES: AlarmFigures = {
  peakC: null,
  minC: null,
  maxC: null,
  meanC: null,
  readings: 0,
  failedReads: 0,
  timeBeyondSeconds: 0,
  degreeMinutes: 0,
};

/** The newest value at or before `atMs` (a failed read is null), or null when none was evaluated. */
const valueAt = (readings: readonly AlarmReading[], atMs: number): number | null => {
  let lo = 0;
  let hi = readings.length - 1;
  let found: AlarmReading | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = readings[mid] as AlarmReading;
    if (r.recordedAtMs <= atMs) {
      found = r;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found?.temperatureC ?? null;
};

const keyOf = (place: UnitPlace, ruleId: string, startedAtMs: number): AlarmKey => ({
  customerId: place.customerId,
  unitId: place.unitId,
  ruleId,
  startedAt: new Date(startedAtMs),
});

/**
 * Stores one unit's evaluation outcome.
 * @returns how many alarms it raised and cleared.
 */
export const recordUnitOutcome = async (
  tx: Sql,
  place: UnitPlace,
  outcome: UnitOutcome,
  now: Date,
  log: Logger,
): Promise<RecordCounts> => {
  const counts: RecordCounts = { raised: 0, cleared: 0 };
  const keyText = (ruleId: string, startedAtMs: number): string => `${ruleId}@${startedAtMs}`;
  // A replay reproduces alarms by (rule, start). The stored ones it does not reproduce are "spare":
  // one that overlaps a reproduced excursion is that excursion seen before its earliest readings came
  // (a redelivered or out-of-order batch), and is moved to the true start instead of doubled.
  const reproduced = new Set<string>();
  const ends = new Map<string, number>();
  for (const { rule, event } of outcome.events) {
    reproduced.add(keyText(rule.id, event.startedAtMs));
    if (event.type === 'cleared') ends.set(keyText(rule.id, event.startedAtMs), event.clearedAtMs);
  }
  for (const rule of outcome.rules) {
    const open = openAlarm(rule, (outcome.entries[rule.id] as RuleStates[string]).state);
    if (open) reproduced.add(keyText(rule.id, open.startedAtMs));
  }
  const spare =
    outcome.replayFromMs === undefined
      ? []
      : (await unitAlarmsSince(tx, place.unitId, outcome.replayFromMs)).filter(
          (a) => !reproduced.has(keyText(a.rule_id, a.started_at.getTime())),
        );
  const takeOverlapping = (ruleId: string, fromMs: number, toMs: number): StoredAlarmRef | undefined => {
    const i = spare.findIndex(
      (a) =>
        a.rule_id === ruleId &&
        a.started_at.getTime() <= toMs &&
        (a.cleared_at?.getTime() ?? Infinity) >= fromMs,
    );
    return i === -1 ? undefined : spare.splice(i, 1)[0];
  };
  for (const { rule, event } of outcome.events) {
    const key = keyOf(place, rule.id, event.startedAtMs);
    if (event.type === 'started') {
      // A unit's silence while its customer's source was down is that alarm's, not the unit's.
      if (rule.kind === 'no_data' && (await sourceDownCovers(tx, place.customerId, key.startedAt))) continue;
      const earlier = takeOverlapping(
        rule.id,
        event.startedAtMs,
        ends.get(keyText(rule.id, event.startedAtMs)) ?? Infinity,
      );
      if (earlier && (await findAlarmId(tx, key)) === null) {
        await moveAlarmStart(tx, earlier.id, key.startedAt, new Date(event.confirmedAtMs));
        log.info(
          { alarmId: earlier.id, from: earlier.started_at, to: key.startedAt },
          'replay moved an alarm start',
        );
        continue;
      }
      const lateByMs = now.getTime() - event.confirmedAtMs;
      const late = lateByMs > overdueAfterMs(place.reportingPeriodSeconds);
      const { id, inserted } = await insertAlarm(tx, {
        ...key,
        facilityId: place.facilityId,
        kind: rule.kind,
        severity: rule.severity,
        ruleSnapshot: rule,
        thresholdC: rule.threshold_c ?? null,
        confirmedAt: new Date(event.confirmedAtMs),
        detectedAt: now,
        late,
        figures: NO_FIGURES,
      });
      if (!inserted) continue;
      await appendAlarmEvent(tx, id, 'started', key.startedAt, {
        rule_id: rule.id,
        kind: rule.kind,
        severity: rule.severity,
        confirmed_at: new Date(event.confirmedAtMs).toISOString(),
        detected_at: now.toISOString(),
        threshold_c: rule.threshold_c ?? null,
        value_c: rule.kind === 'no_data' ? null : valueAt(outcome.readings, event.confirmedAtMs),
        late,
      });
      await queueAlarmNotifications(tx, id, 'started');
      alarmsRaisedTotal.inc({ kind: rule.kind, severity: rule.severity });
      counts.raised += 1;
    } else {
      const done = await updateAlarmOutcome(tx, key, figuresOf(event.stats), new Date(event.clearedAtMs));
      if (!done) continue;
      if (done.previousClearedAt === null) {
        await appendAlarmEvent(tx, done.id, 'cleared', new Date(event.clearedAtMs), {
          reason: 'condition ended',
          value_c: rule.kind === 'no_data' ? null : valueAt(outcome.readings, event.clearedAtMs),
          peak_c: event.stats.peakC,
        });
        await queueAlarmNotifications(tx, done.id, 'cleared');
        counts.cleared += 1;
      } else if (done.previousClearedAt.getTime() !== event.clearedAtMs) {
        log.info(
          { alarmId: done.id, was: done.previousClearedAt, now: new Date(event.clearedAtMs) },
          'replay moved an alarm end',
        );
      }
    }
  }
  for (const rule of outcome.rules) {
    const open = openAlarm(rule, (outcome.entries[rule.id] as RuleStates[string]).state);
    if (!open) continue;
    if (outcome.openFigures && outcome.replayFromMs === undefined) {
      outcome.openFigures.push({
        unitId: place.unitId,
        ruleId: rule.id,
        startedAt: new Date(open.startedAtMs),
        figures: figuresOf(open.stats),
      });
      continue;
    }
    const done = await updateAlarmOutcome(
      tx,
      keyOf(place, rule.id, open.startedAtMs),
      figuresOf(open.stats),
      null,
    );
    if (done && done.previousClearedAt !== null)
      log.warn(
        { alarmId: done.id, unitId: place.unitId, ruleId: rule.id },
        'replay found a cleared alarm still open',
      );
  }
  for (const r of outcome.retired) {
    const clearedAt = new Date(Math.max(r.open.startedAtMs, outcome.watermarkMs ?? r.open.startedAtMs));
    const done = await updateAlarmOutcome(
      tx,
      keyOf(place, r.ruleId, r.open.startedAtMs),
      figuresOf(r.open.stats),
      clearedAt,
    );
    if (!done || done.previousClearedAt !== null) continue;
    await appendAlarmEvent(tx, done.id, 'cleared', clearedAt, { reason: 'rule changed' });
    await queueAlarmNotifications(tx, done.id, 'cleared');
    counts.cleared += 1;
  }
  for (const a of spare) {
    if (!outcome.rules.some((r) => r.id === a.rule_id)) continue;
    if (await deleteUnannouncedAlarm(tx, a.id)) {
      log.info(
        { alarmId: a.id, unitId: place.unitId, ruleId: a.rule_id },
        'replay withdrew an unannounced alarm',
      );
      continue;
    }
    log.warn(
      { alarmId: a.id, unitId: place.unitId, ruleId: a.rule_id },
      'replay did not reproduce an alarm; kept',
    );
    if (a.cleared_at === null && (await clearAlarmById(tx, a.id, a.started_at))) {
      await appendAlarmEvent(tx, a.id, 'cleared', a.started_at, {
        reason: 'not reproduced by a replay of late readings',
      });
      await queueAlarmNotifications(tx, a.id, 'cleared');
      counts.cleared += 1;
    }
  }
  return counts;
};
