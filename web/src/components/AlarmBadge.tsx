import { isShelved, STATE_LABEL, useOpenAlarmCount, type UnitAlarmSummary } from '../lib/alarms.ts';
import { fmtDateTime } from '../lib/format.ts';
import { href } from '../lib/router.ts';
import type { AlarmItem } from '../lib/types.ts';

/** Severity, state and late badges: each says its meaning in words, not by colour alone. */
export const SeverityBadge = ({ severity }: { severity: string }) => (
  <span class={`badge badge-${severity === 'critical' ? 'critical' : 'warning'}`} data-severity={severity}>
    {severity === 'critical' ? 'Critical' : 'Warning'}
  </span>
);

export const AlarmStateBadges = ({ a, now }: { a: AlarmItem; now?: number }) => (
  <span class="alarm-badges">
    <span class={`badge alarm-${a.state}`} data-state={a.state}>
      {STATE_LABEL[a.state] ?? a.state}
    </span>
    {a.late && (
      <span
        class="badge alarm-late"
        title={`Detected ${fmtDateTime(a.detected_at)}, well after it was confirmed (${fmtDateTime(a.confirmed_at)}): the readings arrived late.`}
        data-testid="late-badge"
      >
        Late
      </span>
    )}
    {isShelved(a, now) && (
      <span class="badge alarm-shelved" title={a.shelved_reason ?? undefined}>
        Shelved until {fmtDateTime(a.shelved_until)}
      </span>
    )}
  </span>
);

/** The header's open-alarm count on every page: red while a critical alarm is open. */
export const OpenAlarmCount = ({ admin }: { admin: boolean }) => {
  const c = useOpenAlarmCount();
  if (!c) return null;
  const tone = c.critical > 0 ? 'critical' : c.total > 0 ? 'warning' : 'none';
  const text =
    c.total === 0
      ? 'No open alarms'
      : `${c.total} open alarm${c.total === 1 ? '' : 's'}${c.critical ? ` (${c.critical} critical)` : ''}`;
  return (
    <a
      class={`alarm-count alarm-count-${tone}`}
      href={href(admin ? '/admin/alarms' : '/alarms')}
      data-testid="open-alarms"
      data-count={c.total}
      data-critical={c.critical}
      aria-live="polite"
    >
      {text}
    </a>
  );
};

/** A unit's open alarms in a units table: the worst one's severity, linking to it. */
export const UnitAlarmBadge = ({ s }: { s: UnitAlarmSummary | undefined }) =>
  s ? (
    <a
      class={`badge badge-${s.severity} alarm-unit-badge`}
      href={href(`/alarms/${s.first.id}`)}
      data-testid="unit-alarm-badge"
      data-severity={s.severity}
      title="Open alarms of this unit"
    >
      {s.count} alarm{s.count === 1 ? '' : 's'}
    </a>
  ) : null;
