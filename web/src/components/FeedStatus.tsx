import { fmtAgo, fmtDateTime } from '../lib/format.ts';
import { useTicker } from '../lib/hooks.ts';
import { useLive } from '../lib/live.ts';
import type { Feed } from '../lib/types.ts';

const minutes = (m: number): string => (m < 1 ? `${Math.round(m * 60)} s` : `${Math.round(m * 10) / 10} min`);

const BADGE: Record<Feed['status'], { text: string; tone: string }> = {
  live: { text: 'Live', tone: 'normal' },
  stale: { text: 'Data overdue', tone: 'warning' },
  failing: { text: 'Feed failing', tone: 'critical' },
  unknown: { text: 'No data yet', tone: 'unknown' },
};

/**
 * The header badge: "Live" only while the newest reading is younger than the customer's overdue
 * limit (from its collection period), not merely while the dashboard can reach the API.
 */
export const LiveIndicator = () => {
  const live = useLive();
  const now = useTicker(15_000);
  if (live.error)
    return (
      <span class="live live-error" role="status" data-testid="live-badge" data-feed-status="error">
        Live updates failing: {live.error}
      </span>
    );
  if (!live.updatedAt || !live.feed) return null;
  const f = live.feed;
  const b = BADGE[f.status];
  return (
    <span
      class={`live live-${f.status}`}
      role="status"
      data-testid="live-badge"
      data-feed-status={f.status}
      title={`Newest reading ${fmtAgo(f.newest_reading_at, now)}; data is collected every ${minutes(f.collection_period_minutes)}. Checked every 15 s while this tab is visible.`}
    >
      <span class={`dot tone-bg-${b.tone}`} aria-hidden="true" /> {b.text}
      {f.status === 'stale' && <span class="live-age"> · {fmtAgo(f.newest_reading_at, now)}</span>}
    </span>
  );
};

/** A banner on every customer page while the data feed is failing or overdue. */
export const FeedBanner = () => {
  const live = useLive();
  const now = useTicker(15_000);
  const f = live.feed;
  if (!f || (f.status !== 'stale' && f.status !== 'failing')) return null;
  const outcome: Record<string, string> = { failure: 'failed', success: 'succeeded' };
  const run = f.last_run_at
    ? `The last collection run (${fmtDateTime(f.last_run_at)}) ${outcome[f.last_run_status ?? ''] ?? `ended “${f.last_run_status ?? 'unknown'}”`}${f.last_error ? `: ${f.last_error}` : ''}.`
    : '';
  return (
    <div
      class={`alert feed-banner ${f.status === 'failing' ? 'alert-error' : 'alert-warn'}`}
      role="alert"
      data-testid="feed-banner"
      data-feed-status={f.status}
    >
      <strong>{f.status === 'failing' ? 'Your data feed is failing.' : 'No new data is arriving.'}</strong>{' '}
      Newest reading {fmtAgo(f.newest_reading_at, now)} ({fmtDateTime(f.newest_reading_at)}); data is expected
      every {minutes(f.collection_period_minutes)}. {run} Current temperatures may be out of date; units
      without a reading for {minutes(f.overdue_after_minutes)} are shown as offline.
    </div>
  );
};
