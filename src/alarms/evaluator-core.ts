import { createHash } from 'node:crypto';
import { evaluate, initialAlarmState, openAlarm, type OpenAlarmView } from '../domain/alarms/evaluate.ts';
import type { AlarmEvent, AlarmKind, AlarmReading, AlarmRule, AlarmState } from '../domain/alarms/types.ts';

// The pure half of the evaluator: one unit's rules over one run of readings, with the bookkeeping
// the database row needs (alarm_unit_state.states and the two checkpoints, migration 011). No I/O.
//
// A rule's state is kept under its id with a fingerprint of the rule: a changed rule (threshold,
// delay, enabled…) restarts from initialAlarmState() at the unit's watermark (`since`), and its open
// alarm, if any, is the caller's to clear ("rule changed"). `since` also tells a replay from an older
// checkpoint that the rule did not exist before then.

export interface RuleEntry {
  fingerprint: string;
  kind: AlarmKind;
  /** The unit watermark (ms) when this rule version started; null = from the unit's first reading. */
  since: number | null;
  state: AlarmState;
}

/** Rule id → entry: alarm_unit_state.states and its checkpoints. */
export type RuleStates = Record<string, RuleEntry>;

/** The states of every rule as of `atMs`: every reading at or before it evaluated, none after. */
export interface Checkpoint {
  atMs: number;
  states: RuleStates;
  /** Which stored column it came from, when it is one already stored. */
  slot?: 'older' | 'newer';
}

/** Checkpoints roll forward at these boundaries of event time (6 h). */
export const CHECKPOINT_STEP_MS = 6 * 3_600_000;

/** Object keys sorted at every level, so the same rule always serialises alike. */
const canonical = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(canonical)
    : v !== null && typeof v === 'object'
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>)
            .filter(([, x]) => x !== undefined)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            .map(([k, x]) => [k, canonical(x)]),
        )
      : v;

/** A short hash of everything in the rule that changes its meaning (key order ignored). */
export const ruleFingerprint = (rule: AlarmRule): string =>
  createHash('sha256')
    .update(JSON.stringify(canonical(rule)))
    .digest('hex')
    .slice(0, 16);

/** An open alarm whose rule was removed or changed: to be cleared ("rule changed"). */
export interface RetiredAlarm {
  ruleId: string;
  kind: AlarmKind;
  open: OpenAlarmView;
}

/**
 * The entries for the rules in force: a stored entry whose fingerprint matches is kept, any other
 * rule starts afresh at `watermarkMs`. Stored entries of removed or changed rules that hold an open
 * alarm come back as `retired`.
 */
export const reconcileRules = (
  rules: readonly AlarmRule[],
  stored: RuleStates,
  watermarkMs: number | null,
): { entries: RuleStates; retired: RetiredAlarm[] } => {
  const entries: RuleStates = {};
  const retired: RetiredAlarm[] = [];
  const current = new Set<string>();
  for (const rule of rules) {
    current.add(rule.id);
    const fingerprint = ruleFingerprint(rule);
    const old = stored[rule.id];
    if (old && old.fingerprint === fingerprint) {
      entries[rule.id] = old;
      continue;
    }
    if (old) retireIfOpen(rule.id, old, retired);
    entries[rule.id] = {
      fingerprint,
      kind: rule.kind,
      since: watermarkMs,
      state: { ...initialAlarmState(), watermarkMs },
    };
  }
  for (const [id, old] of Object.entries(stored)) if (!current.has(id)) retireIfOpen(id, old, retired);
  return { entries, retired };
};

const retireIfOpen = (ruleId: string, entry: RuleEntry, out: RetiredAlarm[]): void => {
  // openAlarm reads only the kind of the rule (which figure is the peak).
  const open = openAlarm({ kind: entry.kind } as AlarmRule, entry.state);
  if (open) out.push({ ruleId, kind: entry.kind, open });
};

/**
 * The starting entries of a replay from `base` (null: from the unit's first reading): a rule whose
 * version existed at the base starts from the base's state, a rule that started later starts afresh at
 * its `since` (readings before it are not its business).
 */
export const replayEntries = (
  rules: readonly AlarmRule[],
  current: RuleStates,
  base: Checkpoint | null,
): RuleStates => {
  const out: RuleStates = {};
  for (const rule of rules) {
    const cur = current[rule.id] as RuleEntry;
    const b = base?.states[rule.id];
    const existedAtBase = cur.since === null || (base !== null && cur.since <= base.atMs);
    out[rule.id] =
      b && existedAtBase && b.fingerprint === cur.fingerprint
        ? b
        : { ...cur, state: { ...initialAlarmState(), watermarkMs: existedAtBase ? null : cur.since } };
  }
  return out;
};

export interface UnitRun {
  entries: RuleStates;
  /** Every rule's events, in event-time order per rule. */
  events: { rule: AlarmRule; event: AlarmEvent }[];
  /** The states as of each cut asked for (every cut must be at or after the starting states). */
  checkpoints: Checkpoint[];
}

/**
 * Evaluates every rule over `readings` (sorted by time) from `entries`, taking the states as of each
 * of `cutsMs` on the way (evaluate() gives the same answer however a series is chunked).
 */
export const runUnit = (
  rules: readonly AlarmRule[],
  entries: RuleStates,
  readings: readonly AlarmReading[],
  cutsMs: readonly number[],
): UnitRun => {
  const cuts = [...new Set(cutsMs)].sort((a, b) => a - b);
  const chunks: AlarmReading[][] = cuts.map(() => []);
  const tail: AlarmReading[] = [];
  for (const r of readings) {
    const i = cuts.findIndex((c) => r.recordedAtMs <= c);
    (i === -1 ? tail : (chunks[i] as AlarmReading[])).push(r);
  }
  const out: RuleStates = { ...entries };
  const checkpoints: Checkpoint[] = cuts.map((atMs) => ({ atMs, states: {} }));
  const events: UnitRun['events'] = [];
  for (const rule of rules) {
    const entry = out[rule.id] as RuleEntry;
    let state = entry.state;
    const step = (chunk: AlarmReading[]): void => {
      const r = evaluate(rule, state, chunk);
      state = r.state;
      for (const event of r.events) events.push({ rule, event });
    };
    chunks.forEach((chunk, i) => {
      step(chunk);
      (checkpoints[i] as Checkpoint).states[rule.id] = { ...entry, state };
    });
    step(tail);
    out[rule.id] = { ...entry, state };
  }
  return { entries: out, events, checkpoints };
};

/**
 * The 6-hour boundaries after `fromMs` and before `newestMs` to keep checkpoints at: the last two,
 * so the newer one stays behind the newest reading and the older one at least 6 h behind it.
 */
export const checkpointCuts = (fromMs: number | null, newestMs: number | null): number[] => {
  if (newestMs === null) return [];
  const last = Math.floor((newestMs - 1) / CHECKPOINT_STEP_MS) * CHECKPOINT_STEP_MS;
  return [last - CHECKPOINT_STEP_MS, last].filter((c) => fromMs === null || c > fromMs);
};

/** The newest checkpoint older than `fromMs`, or null (replay over the whole history). */
export const checkpointBefore = (checkpoints: readonly Checkpoint[], fromMs: number): Checkpoint | null =>
  checkpoints
    .filter((c) => c.atMs < fromMs)
    .reduce<Checkpoint | null>((best, c) => (best === null || c.atMs > best.atMs ? c : best), null);

/** The two newest of the given checkpoints (one per instant, a later-computed one winning), oldest first. */
export const keepCheckpoints = (checkpoints: readonly Checkpoint[]): Checkpoint[] => {
  const byAt = new Map<number, Checkpoint>();
  for (const c of checkpoints) byAt.set(c.atMs, c);
  return [...byAt.values()].sort((a, b) => a.atMs - b.atMs).slice(-2);
};

/** When the no_data sweep must look at the unit next: newest reading + the shortest limit of a quiet rule. */
export const noDataDueMs = (
  rules: readonly AlarmRule[],
  entries: RuleStates,
  lastMs: number | null,
): number | null => {
  let due: number | null = null;
  for (const rule of rules) {
    if (rule.kind !== 'no_data' || !rule.enabled) continue;
    const state = entries[rule.id]?.state;
    if (state?.open) continue;
    const from = state?.last?.recordedAtMs ?? lastMs;
    if (from === null) continue;
    const t = from + (rule.no_data_seconds as number) * 1000;
    due = due === null ? t : Math.min(due, t);
  }
  return due;
};
