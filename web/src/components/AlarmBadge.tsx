import { isShelved, STATE_LABEL, useOpenAlarmCount } from '../lib/alarms.ts';
import { fmtDateTime } from '../lib/format.ts';
import { href } from '../lib/router.ts';
import type { AlarmItem, StorageUnit } from '../lib/types.ts';

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

/**
 * A unit's open alarms in a units table (the listing's `open_alarms`): the tone of the worst alarm
 * whose condition still holds, neutral when they only await an acknowledgement. Links to its alarms.
 */
export const UnitAlarmBadge = ({ u }: { u: Pick<StorageUnit, 'id' | 'open_alarms' | 'alarm_severity'> }) =>
  u.open_alarms > 0 ? (
    <a
      class={`badge alarm-unit-badge ${u.alarm_severity ? `badge-${u.alarm_severity}` : 'alarm-cleared'}`}
      href={href('/alarms', { unit: u.id })}
      data-testid="unit-alarm-badge"
      data-count={u.open_alarms}
      data-severity={u.alarm_severity ?? ''}
      title={
        u.alarm_severity
          ? `Open alarms; the worst still going on is ${u.alarm_severity}`
          : 'Open alarms that have cleared and await an acknowledgement'
      }
    >
      {u.open_alarms} open alarm{u.open_alarms === 1 ? '' : 's'}
    </a>
  ) : null;
