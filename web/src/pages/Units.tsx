import { useMemo } from 'preact/hooks';
import { Card, Empty, ErrorBox, Loading, StatusBadge, TableWrap } from '../components/ui.tsx';
import { countStatuses, currentOf, facilityLabel, loadUnits, unitLabel } from '../lib/data.ts';
import { fmtAgo, fmtDateTime, fmtTemp } from '../lib/format.ts';
import { useApi, useTicker, useTitle, useUnit } from '../lib/hooks.ts';
import { useLive } from '../lib/live.ts';
import { href, replaceQuery, type Route } from '../lib/router.ts';
import { UNIT_STATUSES } from '../lib/types.ts';

export const UnitsPage = ({ route }: { route: Route }) => {
  useTitle('Storage units');
  const unit = useUnit();
  const live = useLive();
  const now = useTicker(30_000);
  const status = route.query.get('status') ?? '';
  const q = route.query.get('q') ?? '';
  const fleet = useApi((signal) => loadUnits(unit, signal), [unit]);

  const rows = useMemo(() => {
    const needle = q.trim().toLowerCase();
    return (fleet.data?.units ?? []).filter(
      (u) =>
        (!status || (u.temperature_status ?? 'unknown') === status) &&
        (!needle ||
          [u.name, u.unit_code, u.equipment_type, facilityLabel(u.facility)].some((s) =>
            s?.toLowerCase().includes(needle),
          )),
    );
  }, [fleet.data, status, q]);
  const counts = fleet.data ? countStatuses(fleet.data.units.map((u) => u.temperature_status)) : null;
  const setFilter = (next: { status?: string; q?: string }) => replaceQuery(route, { status, q, ...next });

  return (
    <div class="page">
      <h1>Storage units</h1>
      <Card>
        <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
          <div class="field">
            <label for="unit-search">Search</label>
            <input
              id="unit-search"
              type="search"
              placeholder="Name, code, type or facility"
              value={q}
              onInput={(e) => setFilter({ q: (e.target as HTMLInputElement).value })}
            />
          </div>
          <div class="field">
            <label for="unit-status">Status</label>
            <select
              id="unit-status"
              value={status}
              onChange={(e) => setFilter({ status: (e.target as HTMLSelectElement).value })}
            >
              <option value="">All statuses{counts ? ` (${fleet.data!.units.length})` : ''}</option>
              {UNIT_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s[0]!.toUpperCase() + s.slice(1)}
                  {counts ? ` (${counts[s]})` : ''}
                </option>
              ))}
            </select>
          </div>
        </form>
        <p class="muted" role="status" data-testid="units-shown">
          {fleet.data ? `${rows.length} of ${fleet.data.units.length} units shown` : ''}
        </p>
        <ErrorBox error={fleet.error} retry={fleet.reload} />
        {fleet.loading && !fleet.data && <Loading what="Loading units" />}
        {fleet.data && rows.length === 0 && <Empty>No unit matches these filters.</Empty>}
        {rows.length > 0 && (
          <TableWrap label="Storage units">
            <table data-testid="units-table">
              <thead>
                <tr>
                  <th scope="col">Unit</th>
                  <th scope="col">Facility</th>
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
                {rows.map((u) => {
                  const c = currentOf(u, live.byUnit);
                  return (
                    <tr key={u.id} data-unit-id={u.id}>
                      <td>
                        <a href={href(`/units/${u.id}`)}>{unitLabel(u)}</a>
                        <div class="muted small">{u.unit_code}</div>
                      </td>
                      <td>
                        <a href={href(`/facilities/${u.facility_id}`)}>{facilityLabel(u.facility)}</a>
                      </td>
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
        )}
      </Card>
    </div>
  );
};
