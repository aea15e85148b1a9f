import { currentOf, facilityLabel, unitLabel } from '../lib/data.ts';
import { fmtAgo, fmtDateTime, fmtTemp } from '../lib/format.ts';
import { href } from '../lib/router.ts';
import type { Facility, Reading, StorageUnit, TempUnit } from '../lib/types.ts';
import { StatusBadge, TableWrap } from './ui.tsx';

type Row = StorageUnit & { facility?: Pick<Facility, 'name' | 'facility_code'> };

/**
 * Storage units with their current temperature (the live poll's reading when newer), set point,
 * status and age of the last reading. `showFacility` adds a facility column (the all-units page).
 */
export const UnitsTable = ({
  units,
  byUnit,
  now,
  unit,
  showFacility = false,
}: {
  units: Row[];
  byUnit: Map<string, Reading>;
  now: number;
  unit: TempUnit;
  showFacility?: boolean;
}) => (
  <TableWrap label="Storage units">
    <table data-testid="units-table">
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
          const c = currentOf(u, byUnit);
          return (
            <tr key={u.id} data-unit-id={u.id}>
              <td>
                <a href={href(`/units/${u.id}`)}>{unitLabel(u)}</a>
                <div class="muted small">{u.unit_code}</div>
              </td>
              {showFacility && (
                <td>
                  {u.facility && (
                    <a href={href(`/facilities/${u.facility_id}`)}>{facilityLabel(u.facility)}</a>
                  )}
                </td>
              )}
              <td>{u.equipment_type}</td>
              <td class="num" data-testid="unit-current">
                {fmtTemp(c.temperature, c.unit, unit)}
              </td>
              <td class="num">{fmtTemp(u.set_temperature, u.temperature_unit, unit)}</td>
              <td>
                <StatusBadge status={u.temperature_status} />
              </td>
              <td title={fmtDateTime(c.at)}>{fmtAgo(c.at, now)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  </TableWrap>
);
