import { describe, expect, it } from 'vitest';
import { evaluate, initialAlarmState } from '../domain/alarms/evaluate.ts';
import { at, every, thresholdRule } from '../domain/alarms/test-helpers.ts';
import type { AlarmRule } from '../domain/alarms/types.ts';
import {
  CHECKPOINT_STEP_MS,
  checkpointBefore,
  checkpointCuts,
  keepCheckpoints,
  noDataDueMs,
  reconcileRules,
  replayEntries,
  ruleFingerprint,
  runUnit,
  type RuleStates,
} from './evaluator-core.ts';

const high = thresholdRule({ id: 'high', delay_seconds: 600 });
const noData: AlarmRule = {
  id: 'no-data',
  kind: 'no_data',
  severity: 'warning',
  no_data_seconds: 1800,
  delay_seconds: 0,
  deadband_c: 0,
  clear_delay_seconds: 0,
  enabled: true,
};
const fresh = (rules: AlarmRule[]): RuleStates => reconcileRules(rules, {}, null).entries;

describe('ruleFingerprint', () => {
  it('ignores key order and changes with any setting', () => {
    const reordered = Object.fromEntries(Object.entries(high).reverse()) as unknown as AlarmRule;
    expect(ruleFingerprint(reordered)).toBe(ruleFingerprint(high));
    expect(ruleFingerprint({ ...high, threshold_c: 9 })).not.toBe(ruleFingerprint(high));
    expect(ruleFingerprint({ ...high, enabled: false })).not.toBe(ruleFingerprint(high));
  });
});

describe('reconcileRules', () => {
  it('keeps a matching state, restarts a changed rule at the watermark and retires its open alarm', () => {
    const run = runUnit([high], fresh([high]), every(0, 5, [9, 9, 9, 9]), []);
    expect(run.entries.high?.state.open).not.toBeNull();
    const same = reconcileRules([high], run.entries, at(15));
    expect(same.entries.high).toBe(run.entries.high);
    expect(same.retired).toEqual([]);
    const changed = reconcileRules([{ ...high, threshold_c: 10 }], run.entries, at(15));
    expect(changed.entries.high).toMatchObject({ since: at(15), state: { watermarkMs: at(15), open: null } });
    expect(changed.retired.map((r) => [r.ruleId, r.open.startedAtMs])).toEqual([['high', at(0)]]);
    const removed = reconcileRules([noData], run.entries, at(15));
    expect(removed.retired.map((r) => r.ruleId)).toEqual(['high']);
  });
});

describe('runUnit', () => {
  it('gives the states of any chunking, with checkpoints equal to evaluating up to each cut', () => {
    const readings = every(0, 5, [4, 9, 9, 9, 9, 4, 4, 9, 9, 9, 9, 9, 4]);
    const whole = runUnit([high, noData], fresh([high, noData]), readings, []);
    const cut = at(22);
    const chunked = runUnit([high, noData], fresh([high, noData]), readings, [cut]);
    expect(chunked.entries).toEqual(whole.entries);
    expect(chunked.events).toEqual(whole.events);
    const upToCut = evaluate(
      high,
      initialAlarmState(),
      readings.filter((r) => r.recordedAtMs <= cut),
    );
    expect(chunked.checkpoints).toHaveLength(1);
    expect(chunked.checkpoints[0]?.atMs).toBe(cut);
    expect(chunked.checkpoints[0]?.states.high?.state).toEqual(upToCut.state);
  });
});

describe('checkpoints', () => {
  const H = CHECKPOINT_STEP_MS;
  it('cuts at the last two 6-hour boundaries after the previous watermark and before the newest reading', () => {
    expect(checkpointCuts(0, 3 * H + 5)).toEqual([2 * H, 3 * H]);
    expect(checkpointCuts(2 * H + 1, 3 * H + 5)).toEqual([3 * H]);
    expect(checkpointCuts(3 * H, 3 * H + 5)).toEqual([]);
    expect(checkpointCuts(0, 3 * H)).toEqual([H, 2 * H]);
    expect(checkpointCuts(0, null)).toEqual([]);
  });
  it('replays from the newest checkpoint strictly before the late reading and keeps the two newest', () => {
    const cps = [
      { atMs: H, states: {} },
      { atMs: 2 * H, states: {} },
    ];
    expect(checkpointBefore(cps, 2 * H + 1)?.atMs).toBe(2 * H);
    expect(checkpointBefore(cps, 2 * H)?.atMs).toBe(H);
    expect(checkpointBefore(cps, H)).toBeNull();
    const newer = { atMs: 2 * H, states: { x: {} } as unknown as RuleStates };
    expect(keepCheckpoints([...cps, newer, { atMs: 3 * H, states: {} }]).map((c) => c.atMs)).toEqual([
      2 * H,
      3 * H,
    ]);
    expect(keepCheckpoints([...cps, newer])[1]).toBe(newer);
  });
  it('starts a rule that did not exist at the base afresh at its own start', () => {
    const entries = reconcileRules([high], {}, at(30)).entries;
    const start = replayEntries([high], entries, { atMs: at(0), states: {} });
    expect(start.high?.state.watermarkMs).toBe(at(30));
    expect(replayEntries([high], fresh([high]), null).high?.state.watermarkMs).toBeNull();
  });
});

describe('noDataDueMs', () => {
  it('is the newest reading + the limit, none while the no_data alarm is open or the rule is off', () => {
    const run = runUnit([noData], fresh([noData]), every(0, 5, [4, 4]), []);
    expect(noDataDueMs([noData], run.entries, null)).toBe(at(5) + 1_800_000);
    expect(noDataDueMs([{ ...noData, enabled: false }], run.entries, at(5))).toBeNull();
    const silent = runUnit([noData], fresh([noData]), every(0, 45, [4, 4]), []);
    expect(silent.entries['no-data']?.state.open).toBeNull(); // the reading after the gap cleared it
    expect(noDataDueMs([noData], fresh([noData]), at(0))).toBe(at(30));
  });
});
