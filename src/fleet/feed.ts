import { feedRows, type FeedRow } from '../db/feed-repo.ts';
import type { FeatureContext } from '../readings/context.ts';

export type FeedStatus = 'live' | 'stale' | 'failing' | 'unknown';

/** Grace on top of two collection periods: a run may take a while and is jittered (≤ 5 s or 5 %). */
const GRACE_MS = 5 * 60_000;

/**
 * How old the newest data may be before it counts as overdue: two collection periods (one missed
 * collection is tolerated) plus five minutes. `periodSeconds` is the longer of how often the
 * customer is collected and how often the unit itself reads, so a unit that reads every 14 min in a
 * customer collected every 5 min is not called overdue between two of its own readings.
 */
export const overdueAfterMs = (periodSeconds: number): number => 2 * periodSeconds * 1000 + GRACE_MS;

/** The period a unit's data is expected in: the longer of its customer's collection and its own reading period. */
export const unitPeriodSeconds = (customerSeconds: number, unitSeconds: number | null | undefined): number =>
  Math.max(customerSeconds, unitSeconds ?? 0);

/** True when `newest` is older than the overdue limit at `now` (a unit without data is not overdue: it is unknown). */
export const isOverdue = (newest: Date | null, periodSeconds: number, now: Date): boolean =>
  newest !== null && now.getTime() - newest.getTime() > overdueAfterMs(periodSeconds);

export interface Feed {
  status: FeedStatus;
  newest_reading_at: Date | null;
  collection_period_minutes: number;
  overdue_after_minutes: number;
  last_run_at: Date | null;
  last_run_status: string | null;
  last_error: string | null;
}

/**
 * The state of a customer's data feed: `failing` when its latest finished ingestion run failed,
 * else `unknown` before any reading, `stale` when the newest reading is overdue, else `live`.
 */
export const feedOf = (r: FeedRow, now: Date): Feed => {
  const status: FeedStatus =
    r.last_run_status === 'failure'
      ? 'failing'
      : r.newest_reading_at === null
        ? 'unknown'
        : isOverdue(r.newest_reading_at, r.data_frequency_seconds, now)
          ? 'stale'
          : 'live';
  return {
    status,
    newest_reading_at: r.newest_reading_at,
    collection_period_minutes: Math.round((r.data_frequency_seconds / 60) * 100) / 100,
    overdue_after_minutes: Math.round((overdueAfterMs(r.data_frequency_seconds) / 60_000) * 100) / 100,
    last_run_at: r.last_run_at,
    last_run_status: r.last_run_status,
    last_error: r.last_run_status === 'failure' ? r.last_error : null,
  };
};

/** The feed of each customer asked for, by customer id (one query for all of them). */
export const customerFeeds = async (
  ctx: FeatureContext,
  customerIds: readonly string[],
): Promise<Map<string, Feed>> => {
  const rows = await feedRows(ctx.db, customerIds);
  const now = ctx.clock.now();
  return new Map(rows.map((r) => [r.customer_id, feedOf(r, now)]));
};

type WithId = { id: string; data_frequency_seconds: number };

/** A customer that has neither readings nor runs (or vanished meanwhile): `unknown`. */
const noFeed = (c: WithId, now: Date): Feed =>
  feedOf(
    {
      customer_id: c.id,
      data_frequency_seconds: c.data_frequency_seconds,
      newest_reading_at: null,
      last_run_at: null,
      last_run_status: null,
      last_error: null,
    },
    now,
  );

/** Each customer item (profile, admin listing) with its `feed`, one query for all of them. */
export const withFeeds = async <T extends WithId>(
  ctx: FeatureContext,
  items: readonly T[],
): Promise<Array<T & { feed: Feed }>> => {
  const feeds = await customerFeeds(
    ctx,
    items.map((i) => i.id),
  );
  const now = ctx.clock.now();
  return items.map((i) => ({ ...i, feed: feeds.get(i.id) ?? noFeed(i, now) }));
};

export const withFeed = async <T extends WithId>(ctx: FeatureContext, item: T): Promise<T & { feed: Feed }> =>
  (await withFeeds(ctx, [item]))[0]!;
