import { getConfigValue } from '../db/config-repo.ts';
import type { Sql } from '../db/types.ts';
import { setReasonDemanded } from './record.ts';

// The system setting `require_change_reason` (default true) decides whether limit and rule changes
// and deletions are refused without a reason (record.ts keeps it as a process-global). A process
// loads it when its API or ingest role starts and re-reads it every 30 s, so a change made through
// another replica (PUT /api/v1/admin/config/require_change_reason) reaches every process within that
// time; the replica that writes it applies it at once (admin.ts).

export const REQUIRE_CHANGE_REASON = 'require_change_reason';
export const REASON_SETTING_REFRESH_MS = 30_000;

/** The setting's meaning: only an explicit `false` turns the demand off (absent or other: on). */
export const reasonDemandedBy = (value: unknown): boolean => value !== false;

/** Reads the setting and applies it to this process; returns what it applied. */
export const loadReasonSetting = async (q: Sql): Promise<boolean> => {
  const on = reasonDemandedBy(await getConfigValue(q, REQUIRE_CHANGE_REASON));
  setReasonDemanded(on);
  return on;
};

/**
 * Loads the setting now and every `everyMs`; returns the function that stops the timer. A failed
 * refresh (database briefly away) keeps the last value: it is retried at the next tick.
 */
export const startReasonSettingRefresh = async (
  q: Sql,
  everyMs = REASON_SETTING_REFRESH_MS,
): Promise<() => void> => {
  await loadReasonSetting(q);
  const timer = setInterval(() => {
    loadReasonSetting(q).catch(() => undefined);
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
};
