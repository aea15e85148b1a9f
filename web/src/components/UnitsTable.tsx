import { currentOf, facilityLabel, shownStatus, unitLabel } from '../lib/data.ts';
import { fmtAgo, fmtDateTime, fmtTemp } from '../lib/format.ts';
import { href } from '../lib/router.ts';
import type { LiveState } from '../lib/live.ts';
import type { Facility, StorageUnit, TempUnit } from '../lib/types.ts';
import { UnitAlarmBadge } from './AlarmBadge.tsx';
import { StatusBadge, TableWrap } from './ui.tsx';

type Row = StorageUnit & { facility?: Pick<Facility, 'name' | 'facility_code'> };

/**
 * Storage units with their current temperature (the live poll's reading when newer), set point,
 * status (offline once overdue) and age of the last reading. `showFacility` adds a facility column
 * (the all-units page). On a phone each row stacks into a small card, status first. A unit with open
 * alarms shows their count under its name.
 */
export const UnitsTable = ({
  units,
  live,
  now,
  unit,
  showFacility = false,
}: {
  units: Row[];
  live: Pick<LiveState, 'byUnit' | 'feed'>;
  now: number;
  unit: TempUnit;
  showFacility?: boolean;
}) => (
  <TableWrap label="Storage units">
    <table data-testid="units-table" class="stack">
      <thead>
        <tr>
          <th scope="col">Unit</th>
          {showFacility && <th scope="col">Facility</th>}
          <th scope="col">Type</th>
          <th scope="col" class="num">
            Current
          </th>
          <th scope="col" class="num">
            Set point
          </th>
          <th scope="col">Status</th>
          <th scope="col">Last reading</th>
        </tr>
      </thead>
      <tbody>
        {units.map((u) => {
          const c = currentOf(u, live.byUnit);
          const status = shownStatus(u, live, now);
          return (
            <tr key={u.id} data-unit-id={u.id} data-status={status}>
              <td class="stack-title">
                <a href={href(`/units/${u.id}`)}>{unitLabel(u)}</a>
                <div class="muted small">{u.unit_code}</div>
                <UnitAlarmBadge u={u} />
              </td>
              {showFacility && (
                <td data-label="Facility">
                  {u.facility && (
                    <a href={href(`/facilities/${u.facility_id}`)}>{facilityLabel(u.facility)}</a>
                  )}
                </td>
              )}
              <td data-label="Type">{u.equipment_type}</td>
              <td class="num stack-key" data-testid="unit-current" data-label="Current">
                {fmtTemp(c.temperature, c.unit, unit)}
              </td>
              <td class="num" data-label="Set point">
                {fmtTemp(u.set_temperature, u.temperature_unit, unit)}
              </td>
              <td class="stack-key" data-label="Status" data-testid="unit-status">
                <StatusBadge status={status} />
              </td>
              <td
                class="stack-key"
                title={fmtDateTime(c.at)}
                data-label="Last reading"
                data-testid="unit-last-reading"
              >
                {fmtAgo(c.at, now)}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  </TableWrap>
);
