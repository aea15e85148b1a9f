import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { alarmDurationMs, fmtDuration, kindLabel, needsAck } from '../lib/alarms.ts';
import { fmtDateTime, fmtTemp } from '../lib/format.ts';
import { href } from '../lib/router.ts';
import type { AlarmItem, TempUnit } from '../lib/types.ts';
import { AckForm } from './AckDialog.tsx';
import { AlarmStateBadges, SeverityBadge } from './AlarmBadge.tsx';
import { TableWrap } from './ui.tsx';

/** Where an alarm is: its unit and facility, or its whole data source (source_down). */
export const AlarmPlace = ({ a, link = true }: { a: AlarmItem; link?: boolean }) => {
  if (!a.storage_unit_id) return <span>Data source (all units)</span>;
  const name = a.unit_name || a.unit_code || a.storage_unit_id;
  return (
    <>
      {link ? <a href={href(`/units/${a.storage_unit_id}`)}>{name}</a> : name}
      {(a.facility_name || a.facility_code) && (
        <div class="muted small">{a.facility_name || a.facility_code}</div>
      )}
    </>
  );
};

/** "−12.4 °C vs −15.0 °C": how far the excursion went against the threshold it crossed. */
export const PeakVsThreshold = ({ a, unit }: { a: AlarmItem; unit: TempUnit }) =>
  a.peak_temperature === null && a.threshold === null ? (
    <>—</>
  ) : (
    <>
      <span data-testid="alarm-peak">{fmtTemp(a.peak_temperature, a.temperature_unit, unit)}</span>
      {a.threshold !== null && (
        <span class="muted small"> vs {fmtTemp(a.threshold, a.temperature_unit, unit)}</span>
      )}
    </>
  );

/**
 * A list of alarms. With `onChanged`, unacknowledged rows get an Acknowledge button that opens the
 * comment form under the row. `admin` shows the customer instead of links the admin cannot open.
 */
export const AlarmTable = ({
  alarms,
  unit,
  now,
  onChanged,
  admin = false,
  testid = 'alarm-table',
}: {
  alarms: AlarmItem[];
  unit: TempUnit;
  now: number;
  onChanged?: () => void;
  admin?: boolean;
  testid?: string;
}) => {
  const [acking, setAcking] = useState<string | null>(null);
  const cols = admin ? 9 : 8;
  return (
    <TableWrap label="Alarms">
      <table class="stack alarm-table" data-testid={testid}>
        <thead>
          <tr>
            <th scope="col">Severity</th>
            <th scope="col">State</th>
            <th scope="col">Kind</th>
            {admin && <th scope="col">Customer</th>}
            <th scope="col">Where</th>
            <th scope="col">Started</th>
            <th scope="col">Duration</th>
            <th scope="col" class="num">
              Peak vs threshold
            </th>
            <th scope="col">Acknowledged</th>
          </tr>
        </thead>
        <tbody>
          {alarms.map((a) => (
            <Fragment key={a.id}>
              <tr
                data-alarm-id={a.id}
                data-severity={a.severity}
                data-state={a.state}
                class={a.state === 'active' ? 'row-excursion' : undefined}
              >
                <td class="stack-key" data-label="Severity">
                  <SeverityBadge severity={a.severity} />
                </td>
                <td class="stack-key" data-label="State">
                  <AlarmStateBadges a={a} now={now} />
                </td>
                <td class="stack-title" data-label="Kind">
                  {admin ? kindLabel(a.kind) : <a href={href(`/alarms/${a.id}`)}>{kindLabel(a.kind)}</a>}
                </td>
                {admin && (
                  <td data-label="Customer">
                    {a.customer_code} · {a.customer_name}
                  </td>
                )}
                <td data-label="Where">
                  <AlarmPlace a={a} link={!admin} />
                </td>
                <td data-label="Started" data-testid="alarm-started">
                  {fmtDateTime(a.started_at)}
                </td>
                <td data-label="Duration">
                  {fmtDuration(alarmDurationMs(a, now))}
                  {!a.cleared_at && <div class="muted small">ongoing</div>}
                </td>
                <td class="num" data-label="Peak vs threshold">
                  <PeakVsThreshold a={a} unit={unit} />
                </td>
                <td data-label="Acknowledged" data-testid="alarm-ack">
                  {a.acknowledged_at ? (
                    <>
                      {a.acknowledged_by ?? '—'}, {fmtDateTime(a.acknowledged_at)}
                      {a.comment && <div class="muted small">“{a.comment}”</div>}
                    </>
                  ) : onChanged && needsAck(a) ? (
                    <button
                      type="button"
                      class="btn btn-small"
                      data-testid="ack-open"
                      aria-expanded={acking === a.id}
                      onClick={() => setAcking(acking === a.id ? null : a.id)}
                    >
                      Acknowledge…
                    </button>
                  ) : (
                    <span class="muted">not yet</span>
                  )}
                </td>
              </tr>
              {acking === a.id && onChanged && (
                <tr class="alarm-ack-row">
                  <td colSpan={cols}>
                    <AckForm
                      alarm={a}
                      onCancel={() => setAcking(null)}
                      onDone={() => {
                        setAcking(null);
                        onChanged();
                      }}
                    />
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
};
