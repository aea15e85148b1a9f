import { fmtDateTime, fmtTemp } from '../lib/format.ts';
import { href } from '../lib/router.ts';
import type { LatestReading, TempUnit, UnitStatus } from '../lib/types.ts';
import { StatusBadge, TableWrap } from './ui.tsx';

type RowState = 'excursion' | 'overdue' | 'in-range' | 'unknown';

/**
 * What a newest reading means: out of the allowed band (the API's `excursion`; an API without it
 * falls back on the unit's warning/critical status), overdue, or in range.
 */
const stateOf = (r: LatestReading, status: UnitStatus | undefined): RowState => {
  const excursion = r.excursion ?? (status === 'warning' || status === 'critical' ? true : undefined);
  if (excursion) return 'excursion';
  if (r.overdue || status === 'offline') return 'overdue';
  return excursion === false || status === 'normal' ? 'in-range' : 'unknown';
};

const STATE_TEXT: Record<RowState, { text: string; badge: string }> = {
  excursion: { text: 'Excursion', badge: 'critical' },
  overdue: { text: 'Overdue', badge: 'offline' },
  'in-range': { text: 'In range', badge: 'normal' },
  unknown: { text: 'Unknown', badge: 'unknown' },
};

/**
 * The newest reading per unit. A unit in excursion gets a marked row (a red edge and tint) and the
 * word "Excursion", so the state is not carried by colour alone; the sensor's own equipment status
 * is a separate column.
 */
export const LatestTable = ({
  rows,
  unit,
  statusOf,
}: {
  rows: LatestReading[];
  unit: TempUnit;
  statusOf: (unitId: string) => UnitStatus | undefined;
}) => (
  <TableWrap label="Latest readings">
    <table data-testid="latest-table" class="stack">
      <thead>
        <tr>
          <th scope="col">Unit</th>
          <th scope="col">Facility</th>
          <th scope="col" class="num">
            Temperature
          </th>
          <th scope="col">State</th>
          <th scope="col">Recorded</th>
          <th scope="col">Equipment</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => {
          const state = stateOf(r, statusOf(r.storage_unit_id));
          const s = STATE_TEXT[state];
          return (
            <tr
              key={r.storage_unit_id}
              data-unit-id={r.storage_unit_id}
              data-state={state}
              class={
                state === 'excursion' ? 'row-excursion' : state === 'overdue' ? 'row-overdue' : undefined
              }
            >
              <td class="stack-title">
                <a href={href(`/units/${r.storage_unit_id}`)}>{r.unit_name || r.storage_unit_id}</a>
              </td>
              <td data-label="Facility">{r.facility_name || '—'}</td>
              <td class="num stack-key" data-testid="latest-temp" data-label="Temperature">
                {fmtTemp(r.temperature, r.temperature_unit, unit)}
              </td>
              <td class="stack-key" data-label="State" data-testid="latest-state">
                <span class={`badge badge-${s.badge}`}>{s.text}</span>
              </td>
              <td data-label="Recorded">{fmtDateTime(r.recorded_at)}</td>
              <td data-label="Equipment">
                <StatusBadge status={r.equipment_status} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  </TableWrap>
);
