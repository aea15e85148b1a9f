import { UnitsTable } from '../components/UnitsTable.tsx';
import { useMemo } from 'preact/hooks';
import { Card, Empty, ErrorBox, Loading } from '../components/ui.tsx';
import { countStatuses, facilityLabel, loadUnits, shownStatus } from '../lib/data.ts';
import { useApi, useTicker, useTitle, useUnit } from '../lib/hooks.ts';
import { useLive } from '../lib/live.ts';
import { replaceQuery, type Route } from '../lib/router.ts';
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
        (!status || shownStatus(u, live, now) === status) &&
        (!needle ||
          [u.name, u.unit_code, u.equipment_type, facilityLabel(u.facility)].some((s) =>
            s?.toLowerCase().includes(needle),
          )),
    );
  }, [fleet.data, status, q, live, now]);
  const counts = fleet.data ? countStatuses(fleet.data.units.map((u) => shownStatus(u, live, now))) : null;
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
        {rows.length > 0 && <UnitsTable units={rows} live={live} now={now} unit={unit} showFacility />}
      </Card>
    </div>
  );
};
