import {
  advancePending,
  claimPendingUnits,
  countReadingsBetween,
  createPendingUnitStates,
  deletePendingIfUnchanged,
  findPending,
  loadCheckpointStates,
  lockPending,
  readingsAfter,
  saveUnitStates,
  type CheckpointWrite,
  type PendingRow,
  type StoredReading,
  type UnitStateRow,
  type UnitStateUpdate,
} from '../db/alarm-state-repo.ts';
import { updateOpenAlarmFigures, type OpenFigures } from '../db/alarm-store-repo.ts';
import type { Db, Sql } from '../db/types.ts';
import type { AlarmReading } from '../domain/alarms/types.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import { alarmEvaluationsTotal } from '../lib/metrics.ts';
import {
  checkpointBefore,
  checkpointCuts,
  keepCheckpoints,
  noDataDueMs,
  reconcileRules,
  replayEntries,
  runUnit,
  type Checkpoint,
  type RuleStates,
} from './evaluator-core.ts';
import { recordUnitOutcome } from './evaluator-record.ts';
import { rulesForUnits, type UnitRules } from './unit-rules.ts';

// One evaluation pass: claim units the writer marked (alarm_pending), evaluate their new readings in
// recorded_at order, and store alarms, events, outbox rows, the new states and the removal of the
// marks in ONE transaction. Exactly once: a crash before the commit leaves marks and states as they
// were (the next pass redoes it); after it, the marks are gone, and a second evaluator never holds the
// same unit (its state row is locked, SKIP LOCKED). A mark older than the unit's watermark means late
// readings (concurrent writers committing out of order, an import): the unit is replayed from the
// newest checkpoint before them, and the alarms are reconciled by (rule, true start).

export interface EvaluateOptions {
  /** Units per transaction (default 100). */
  batchSize?: number;
  /** Readings of one unit per pass on the ordinary path (default 20,000); the rest wait for the next. */
  maxReadingsPerUnit?: number;
  /** Units not to claim (they failed recently). */
  exclude?: readonly string[];
  /** Claim only these units. */
  only?: readonly string[];
  log?: Logger;
}

export interface EvaluateResult {
  /** Units evaluated (including replays). */
  units: number;
  replayed: number;
  raised: number;
  cleared: number;
  /** Units whose evaluation failed on its own (to be retried later). */
  failed: string[];
  /** True when the batch was full: more units may be waiting. */
  more: boolean;
}

const silentLog = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
} as unknown as Logger;

const ms = (d: Date | null): number | null => (d === null ? null : d.getTime());

/**
 * The checkpoints stored on a state row, oldest first, tagged with their slot. Their states are there
 * only when loaded for a replay; otherwise a checkpoint kept is moved between slots in SQL.
 */
const storedCheckpoints = (row: UnitStateRow): Checkpoint[] => {
  const out: Checkpoint[] = [];
  if (row.checkpoint_at)
    out.push({
      atMs: row.checkpoint_at.getTime(),
      states: (row.checkpoint ?? {}) as RuleStates,
      slot: 'older',
    });
  if (row.checkpoint_next_at)
    out.push({
      atMs: row.checkpoint_next_at.getTime(),
      states: (row.checkpoint_next ?? {}) as RuleStates,
      slot: 'newer',
    });
  return out;
};

/** A checkpoint as saveUnitStates takes it: by slot when it is a stored one, else its states. */
const toWrite = (c: Checkpoint | null): CheckpointWrite | null =>
  c === null ? null : c.slot ? { atMs: c.atMs, slot: c.slot } : { atMs: c.atMs, states: c.states };

const toAlarmReadings = (rows: readonly StoredReading[]): AlarmReading[] =>
  rows.map((r) => ({ recordedAtMs: r.recorded_at.getTime(), temperatureC: r.temperature_c }));

/** What one unit's evaluation saw: to decide, under the pending lock, what becomes of its mark. */
interface Seen {
  unitId: string;
  pending: PendingRow;
  /** Readings after this instant (null: all) were read… */
  afterMs: number | null;
  /** …this many of them, up to this one. */
  count: number;
  newestMs: number | null;
  /** The read stopped at the per-unit limit. */
  partial: boolean;
}

interface UnitWork {
  row: UnitStateRow;
  rules: UnitRules;
  pending: PendingRow;
}

/** Evaluates one unit: the states, the events stored, what its mark becomes. */
const evaluateUnit = async (
  tx: Sql,
  w: UnitWork,
  readingRows: readonly StoredReading[],
  afterMs: number | null,
  replay: { base: Checkpoint | null } | null,
  now: Date,
  log: Logger,
  maxReadings: number,
  openFigures: OpenFigures[],
): Promise<{ update: UnitStateUpdate; seen: Seen; raised: number; cleared: number }> => {
  const { row, rules: unit } = w;
  const oldWatermark = ms(row.watermark);
  const readings = toAlarmReadings(readingRows);
  const newestRead = readings.at(-1)?.recordedAtMs ?? null;
  const watermarkMs = Math.max(oldWatermark ?? -Infinity, newestRead ?? -Infinity);
  const newWatermark = Number.isFinite(watermarkMs) ? watermarkMs : null;
  const stored = (row.states ?? {}) as RuleStates;
  const { entries: current, retired } = reconcileRules(unit.rules, stored, oldWatermark);
  const existing = storedCheckpoints(row);
  let start = current;
  let cuts = checkpointCuts(oldWatermark ?? afterMs, newestRead);
  let kept = existing;
  if (replay) {
    start = replayEntries(unit.rules, current, replay.base);
    const baseAt = replay.base?.atMs ?? null;
    const stale = existing.filter((c) => baseAt === null || c.atMs > baseAt);
    kept = existing.filter((c) => !stale.includes(c));
    cuts = [...stale.map((c) => c.atMs), ...checkpointCuts(oldWatermark, newestRead)];
  } else if (oldWatermark === null && afterMs !== null) {
    // The unit's first evaluation starts at its oldest unevaluated reading: its states before then are
    // the initial ones, a checkpoint a late reading after that instant can replay from.
    kept = [{ atMs: afterMs, states: {} }];
  }
  const run = runUnit(unit.rules, start, readings, cuts);
  const checkpoints = keepCheckpoints([...kept, ...run.checkpoints]);
  const moved = checkpoints.length !== existing.length || checkpoints.some((c, i) => c !== existing[i]);
  const counts = await recordUnitOutcome(
    tx,
    {
      unitId: unit.unitId,
      customerId: unit.customerId,
      facilityId: unit.facilityId,
      reportingPeriodSeconds: unit.reportingPeriodSeconds,
    },
    {
      rules: unit.rules,
      events: run.events,
      entries: run.entries,
      retired,
      readings,
      watermarkMs: newWatermark,
      openFigures,
      ...(replay ? { replayFromMs: replay.base?.atMs ?? null } : {}),
    },
    now,
    log,
  );
  const lastReadingMs = Math.max(ms(row.last_reading_at) ?? -Infinity, newWatermark ?? -Infinity);
  const last = Number.isFinite(lastReadingMs) ? lastReadingMs : null;
  const older = checkpoints.length === 2 ? (checkpoints[0] as Checkpoint) : null;
  const newer = checkpoints.at(-1) ?? null;
  return {
    update: {
      unitId: unit.unitId,
      states: run.entries,
      watermarkMs: newWatermark,
      lastReadingMs: last,
      noDataDueMs: noDataDueMs(unit.rules, run.entries, last),
      ...(moved ? { checkpoints: { older: toWrite(older), newer: toWrite(newer) } } : {}),
    },
    seen: {
      unitId: unit.unitId,
      pending: w.pending,
      afterMs,
      count: readings.length,
      newestMs: newestRead,
      partial: !replay && readings.length >= maxReadings,
    },
    ...counts,
  };
};

/**
 * Settles the marks of the evaluated units, with them locked: a mark unchanged since it was read is
 * deleted; one a writer moved meanwhile is moved past what was evaluated when every reading up to
 * there was seen (else it stays, and its late readings are replayed next pass).
 */
const settleMarks = async (tx: Sql, seen: readonly Seen[]): Promise<void> => {
  const locked = new Map(
    (
      await lockPending(
        tx,
        seen.map((s) => s.unitId),
      )
    ).map((p) => [p.storage_unit_id, p]),
  );
  const done: { unitId: string; seq: number }[] = [];
  for (const s of seen) {
    const now = locked.get(s.unitId);
    if (!now) continue;
    const unchanged = now.seq === s.pending.seq;
    if (unchanged && !s.partial) {
      done.push({ unitId: s.unitId, seq: s.pending.seq });
      continue;
    }
    if (s.newestMs === null) continue;
    const sawAll =
      unchanged ||
      ((s.afterMs === null || now.from_recorded_at.getTime() > s.afterMs) &&
        (await countReadingsBetween(tx, s.unitId, s.afterMs, s.newestMs)) === s.count);
    if (sawAll) await advancePending(tx, s.unitId, s.newestMs);
  }
  await deletePendingIfUnchanged(tx, done);
};

/** One transaction over up to `batchSize` claimed units; throws when any of them fails. */
const evaluateBatch = async (
  db: Db,
  now: Date,
  log: Logger,
  batchSize: number,
  maxReadings: number,
  exclude: readonly string[],
  only: readonly string[] | null,
  claimedOut: string[],
): Promise<Omit<EvaluateResult, 'failed'>> =>
  db.transaction(async (tx) => {
    const claimed = await claimPendingUnits(tx, batchSize, exclude, only);
    claimedOut.push(...claimed.map((r) => r.storage_unit_id));
    const result = { units: 0, replayed: 0, raised: 0, cleared: 0, more: claimed.length >= batchSize };
    if (claimed.length === 0) return result;
    const ids = claimed.map((r) => r.storage_unit_id);
    const pending = new Map((await findPending(tx, ids)).map((p) => [p.storage_unit_id, p]));
    const rules = await rulesForUnits(tx, ids);
    const ordinary: (UnitWork & { afterMs: number | null })[] = [];
    const late: (UnitWork & { base: Checkpoint | null })[] = [];
    // A replay starts from a checkpoint's states: loaded for those units only.
    const lateIds = claimed
      .filter((row) => {
        const p = pending.get(row.storage_unit_id);
        return p && row.watermark && p.from_recorded_at.getTime() <= row.watermark.getTime();
      })
      .map((row) => row.storage_unit_id);
    if (lateIds.length > 0) {
      const states = new Map((await loadCheckpointStates(tx, lateIds)).map((r) => [r.storage_unit_id, r]));
      for (const row of claimed) Object.assign(row, states.get(row.storage_unit_id) ?? {});
    }
    for (const row of claimed) {
      const p = pending.get(row.storage_unit_id);
      const r = rules.get(row.storage_unit_id);
      if (!p || !r) continue; // evaluated meanwhile by another pass, or the unit is gone
      const w = { row, rules: r, pending: p };
      const fromMs = p.from_recorded_at.getTime();
      const watermark = ms(row.watermark);
      if (watermark !== null && fromMs <= watermark)
        late.push({ ...w, base: checkpointBefore(storedCheckpoints(row), fromMs) });
      else ordinary.push({ ...w, afterMs: watermark ?? fromMs - 1 });
    }
    const rows = await readingsAfter(
      tx,
      ordinary.map((w) => ({ unitId: w.row.storage_unit_id, afterMs: w.afterMs })),
      maxReadings,
    );
    const byUnit = new Map<string, StoredReading[]>();
    for (const r of rows) {
      const list = byUnit.get(r.storage_unit_id);
      if (list) list.push(r);
      else byUnit.set(r.storage_unit_id, [r]);
    }
    const updates: UnitStateUpdate[] = [];
    const seen: Seen[] = [];
    const openFigures: OpenFigures[] = [];
    const add = (o: { update: UnitStateUpdate; seen: Seen; raised: number; cleared: number }): void => {
      updates.push(o.update);
      seen.push(o.seen);
      result.units += 1;
      result.raised += o.raised;
      result.cleared += o.cleared;
    };
    for (const w of ordinary) {
      const list = byUnit.get(w.row.storage_unit_id) ?? [];
      add(await evaluateUnit(tx, w, list, w.afterMs, null, now, log, maxReadings, openFigures));
    }
    for (const w of late) {
      const baseAt = w.base?.atMs ?? null;
      const list = await readingsAfter(tx, [{ unitId: w.row.storage_unit_id, afterMs: baseAt }], 2 ** 31 - 1);
      log.info(
        { unitId: w.row.storage_unit_id, from: w.pending.from_recorded_at, readings: list.length },
        'replaying late readings',
      );
      add(await evaluateUnit(tx, w, list, baseAt, { base: w.base }, now, log, maxReadings, openFigures));
      result.replayed += 1;
    }
    await updateOpenAlarmFigures(tx, openFigures);
    await settleMarks(tx, seen);
    await saveUnitStates(tx, updates);
    return result;
  });

/**
 * Runs one evaluation pass over up to `batchSize` pending units in one transaction. When the batch
 * fails, each of its units is retried alone, so one bad unit never holds up the others.
 */
export const evaluatePending = async (
  db: Db,
  clock: Clock,
  opts: EvaluateOptions = {},
): Promise<EvaluateResult> => {
  const log = opts.log ?? silentLog;
  const batchSize = opts.batchSize ?? 100;
  const maxReadings = opts.maxReadingsPerUnit ?? 20_000;
  const exclude = [...(opts.exclude ?? [])];
  await createPendingUnitStates(db);
  const claimed: string[] = [];
  try {
    const r = await evaluateBatch(
      db,
      clock.now(),
      log,
      batchSize,
      maxReadings,
      exclude,
      opts.only ?? null,
      claimed,
    );
    alarmEvaluationsTotal.inc({ outcome: 'ok' }, r.units - r.replayed);
    alarmEvaluationsTotal.inc({ outcome: 'replayed' }, r.replayed);
    return { ...r, failed: [] };
  } catch (e) {
    if (claimed.length <= 1) {
      alarmEvaluationsTotal.inc({ outcome: 'error' }, Math.max(1, claimed.length));
      log.error({ err: e, units: claimed }, 'alarm evaluation failed');
      return { units: 0, replayed: 0, raised: 0, cleared: 0, more: false, failed: claimed };
    }
    log.warn(
      { err: e, units: claimed.length },
      'alarm evaluation batch failed; retrying its units one by one',
    );
    const total: EvaluateResult = { units: 0, replayed: 0, raised: 0, cleared: 0, more: true, failed: [] };
    for (const id of claimed) {
      const one = await evaluatePending(db, clock, { ...opts, batchSize: 1, only: [id] });
      total.units += one.units;
      total.replayed += one.replayed;
      total.raised += one.raised;
      total.cleared += one.cleared;
      total.failed.push(...one.failed);
    }
    return total;
  }
};
