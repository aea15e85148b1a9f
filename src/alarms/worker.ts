import { setTimeout as sleep } from 'node:timers/promises';
import { countOpenAlarms } from '../db/alarm-store-repo.ts';
import type { Db } from '../db/types.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import { alarmsOpen } from '../lib/metrics.ts';
import { evaluatePending } from './evaluator.ts';
import { runNoDataSweep } from './sweep-no-data.ts';
import { runSourceDownSweep } from './sweep-source-down.ts';

export interface AlarmWorkerDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  /** How often pending units are looked for without a wake() (default 1 s). */
  pollMs?: number;
  /** How often the no-data and source-down sweeps run (default 30 s). */
  sweepMs?: number;
  /** Told when a pass raised or cleared an alarm (the notifier's wake: its outbox rows are due). */
  onAlarms?: () => void;
  /** After a wake(), how long at least to wait for more commits before evaluating (default 100 ms). */
  coalesceMs?: number;
}

export interface AlarmWorker {
  /** Evaluates pending units now (tests and the writer call it after a commit; the loop also polls). */
  wake(): void;
  stop(): Promise<void>;
}

/** A unit whose evaluation failed on its own is left alone this long before it is tried again. */
const FAILED_UNIT_BACKOFF_MS = 30_000;
/** How often the sweep looks for units without a state row (new units that never reported). */
const NEW_UNITS_EVERY_MS = 5 * 60_000;
/**
 * Under a stream of commits, evaluation takes at most this share of the time: after a pass of X ms the
 * next one waits X × (1 / share − 1) for more commits to join it (ingestion at most ~10 % slower),
 * but never more than MAX_COALESCE_MS, which keeps a reading's alarm within about 2 s of its commit.
 */
const EVALUATION_SHARE = 0.1;
const MAX_COALESCE_MS = 1_500;
/** Pause after a pass that failed as a whole (database away): no hot loop of errors. */
const ERROR_PAUSE_MS = 2_000;

/** Sets the alarmsOpen gauge from the database (every severity, zero included). */
const refreshOpenAlarmsGauge = async (db: Db): Promise<void> => {
  const counts = new Map((await countOpenAlarms(db)).map((r) => [r.severity, r.n]));
  for (const severity of ['warning', 'critical']) alarmsOpen.set({ severity }, counts.get(severity) ?? 0);
};

/**
 * Starts alarm evaluation in this ingest process: claims units with new readings, evaluates them, runs
 * the no-data and source-down sweeps. Any number of ingest processes may run it at once: a unit is
 * evaluated by one of them at a time (evaluator.ts), the sweeps lock what they change. Errors are
 * logged and retried; they never end the loop.
 */
export const startAlarmWorker = (deps: AlarmWorkerDeps): AlarmWorker => {
  const { db, clock } = deps;
  const log = deps.log.child({ module: 'alarms' });
  const pollMs = deps.pollMs ?? 1_000;
  const sweepMs = deps.sweepMs ?? 30_000;
  const coalesceMs = deps.coalesceMs ?? 100;
  const failedUntil = new Map<string, number>();
  let stopped = false;
  let woken = false;
  let interrupt: AbortController = new AbortController();
  let nextSweepAt = 0;
  let nextNewUnitsAt = 0;
  let lastPassMs = 0;

  const evaluateAll = async (): Promise<void> => {
    for (;;) {
      const nowMs = Date.now();
      for (const [id, until] of failedUntil) if (until <= nowMs) failedUntil.delete(id);
      const r = await evaluatePending(db, clock, { log, exclude: [...failedUntil.keys()] });
      for (const id of r.failed) failedUntil.set(id, Date.now() + FAILED_UNIT_BACKOFF_MS);
      if (r.raised + r.cleared > 0) deps.onAlarms?.();
      if (r.raised > 0 || r.replayed > 0)
        log.debug(
          { units: r.units, raised: r.raised, cleared: r.cleared, replayed: r.replayed },
          'alarms evaluated',
        );
      if (!r.more || stopped) return;
    }
  };

  const sweep = async (): Promise<void> => {
    const now = clock.now();
    const started = performance.now();
    // source_down first: a customer whose source is down gets that one alarm, not one per unit.
    const source = await runSourceDownSweep(db, now);
    const createStates = Date.now() >= nextNewUnitsAt;
    if (createStates) nextNewUnitsAt = Date.now() + NEW_UNITS_EVERY_MS;
    const noData = await runNoDataSweep(db, now, { log, createStates });
    await refreshOpenAlarmsGauge(db);
    if (noData.opened + source.opened + source.cleared > 0) deps.onAlarms?.();
    if (noData.opened + source.opened + source.cleared > 0)
      log.info(
        { ...noData, sourceDown: source, ms: Math.round(performance.now() - started) },
        'alarm sweeps',
      );
  };

  const loop = async (): Promise<void> => {
    while (!stopped) {
      woken = false;
      let pauseMs = pollMs;
      try {
        const passStarted = performance.now();
        await evaluateAll();
        lastPassMs = performance.now() - passStarted;
        if (Date.now() >= nextSweepAt && !stopped) {
          nextSweepAt = Date.now() + sweepMs;
          await sweep();
        }
      } catch (e) {
        log.error({ err: e }, 'alarm worker pass failed; retrying');
        pauseMs = Math.max(pollMs, ERROR_PAUSE_MS);
      }
      if (stopped) continue;
      if (!woken) {
        const signal = interrupt.signal;
        await sleep(Math.max(1, Math.min(pauseMs, nextSweepAt - Date.now())), undefined, {
          signal,
          ref: false,
        }).catch(() => undefined);
        if (!signal.aborted) continue;
      }
      interrupt = new AbortController();
      // Woken by a commit: let the commits of the next moment join this pass (one pass, many batches).
      const waitMs = Math.min(MAX_COALESCE_MS, Math.max(coalesceMs, lastPassMs * (1 / EVALUATION_SHARE - 1)));
      if (!stopped) await sleep(waitMs, undefined, { ref: false });
    }
  };

  const running = loop();
  return {
    wake: () => {
      woken = true;
      interrupt.abort();
    },
    stop: async () => {
      stopped = true;
      interrupt.abort();
      await running;
    },
  };
};
