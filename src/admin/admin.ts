import os from 'node:os';
import { recordAudit, setReasonDemanded } from '../audit/record.ts';
import { REQUIRE_CHANGE_REASON, reasonDemandedBy } from '../audit/reason-setting.ts';
import {
  listConfig,
  listIngestionLogs,
  lockConfigRow,
  upsertConfig,
  type IngestionLogFilter,
} from '../db/config-repo.ts';
import { AppError } from '../lib/errors.ts';
import type { FeatureContext } from '../readings/context.ts';

/** `{<key>: {value, description, updated_at}}` with `value` as JSON (not a string). */
export const getSystemConfig = async (ctx: FeatureContext) =>
  Object.fromEntries(
    (await listConfig(ctx.db)).map((r) => [
      r.key,
      { value: r.value, description: r.description, updated_at: r.updated_at },
    ]),
  );

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Known keys are type-checked, so a typo cannot break the features that read them. */
const CHECKS: Record<string, (v: unknown) => boolean> = {
  data_retention_days: (v) => Number.isInteger(v) && (v as number) >= 1,
  good_quality_threshold: (v) => typeof v === 'number' && v >= 0 && v <= 1,
  max_temperature_deviation: (v) =>
    isObject(v) &&
    typeof v.warning === 'number' &&
    typeof v.critical === 'number' &&
    v.warning >= 0 &&
    v.critical >= v.warning,
  [REQUIRE_CHANGE_REASON]: (v) => typeof v === 'boolean',
};

export const setSystemConfig = async (
  ctx: FeatureContext,
  key: string,
  value: unknown,
  description?: string,
) => {
  // Own keys only: a key such as 'valueOf' must not find Object.prototype's function.
  const check = Object.hasOwn(CHECKS, key) ? CHECKS[key] : undefined;
  if (check && !check(value)) throw new AppError('VALIDATION', `Invalid value for '${key}'`);
  if (JSON.stringify(value).length > 65_536)
    throw new AppError('VALIDATION', 'value is too large (64 KiB at most)');
  const row = await ctx.db.transaction(async (tx) => {
    const before = await lockConfigRow(tx, key);
    const after = await upsertConfig(tx, key, value, description);
    await recordAudit(tx, {
      entityType: 'config',
      entityId: key,
      customerId: null,
      action: before ? 'update' : 'create',
      before: before ? { value: before.value, description: before.description } : undefined,
      after: { value: after.value, description: after.description },
    });
    return after;
  });
  // This process applies it at once; the others re-read it within 30 s (audit/reason-setting.ts).
  if (key === REQUIRE_CHANGE_REASON) setReasonDemanded(reasonDemandedBy(row.value));
  return row;
};

export const ingestionLogs = async (
  ctx: FeatureContext,
  f: IngestionLogFilter,
  limit: number,
  offset: number,
) => {
  if (f.start && f.end && f.start > f.end)
    throw new AppError('VALIDATION', 'start_date must not be after end_date');
  return listIngestionLogs(ctx.db, f, limit, offset);
};

/** Host facts for operators; no environment, no secrets. */
export const systemInfo = () => {
  const mem = process.memoryUsage();
  return {
    platform: `${os.type()} ${os.release()} (${os.arch()})`,
    node_version: process.version,
    cpu_count: os.cpus().length,
    load_average: os.loadavg(),
    memory: {
      total: os.totalmem(),
      available: os.freemem(),
      percent: Math.round((1 - os.freemem() / os.totalmem()) * 1000) / 10,
    },
    process: {
      rss_bytes: mem.rss,
      heap_used_bytes: mem.heapUsed,
      uptime_seconds: Math.floor(process.uptime()),
    },
    environment: { timezone: Intl.DateTimeFormat().resolvedOptions().timeZone },
  };
};
