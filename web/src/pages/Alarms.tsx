import { useMemo, useState } from 'preact/hooks';
import { AlarmTable } from '../components/AlarmTable.tsx';
import { Card, Empty, ErrorBox, Loading, Pager } from '../components/ui.tsx';
import { api, apiAll } from '../lib/api.ts';
import { compareAlarms } from '../lib/alarms.ts';
import { facilityLabel, loadUnits, unitLabel } from '../lib/data.ts';
import { dayEnd, dayStart } from '../lib/format.ts';
import { useApi, useTicker, useTitle, useUnit } from '../lib/hooks.ts';
import { useLive } from '../lib/live.ts';
import { href, replaceQuery, type Route } from '../lib/router.ts';
import type { AlarmItem, Page } from '../lib/types.ts';

const LIMIT = 25;
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const STATE_FILTERS = [
  ['', 'Any state'],
  ['open', 'Open (not closed)'],
  ['active', 'Active'],
  ['acknowledged', 'Acknowledged, not cleared'],
  ['cleared', 'Cleared, not acknowledged'],
  ['closed', 'Closed'],
] as const;

/**
 * Open alarms first (critical before warning, the longest open first), each acknowledged from here
 * with a comment; below, the history of every alarm with filters kept in the URL.
 */
export const AlarmsPage = ({ route }: { route: Route }) => {
  useTitle('Alarms');
  const unit = useUnit();
  const live = useLive();
  const now = useTicker(15_000);
  const q = route.query;
  const f = {
    state: q.get('state') ?? '',
    severity: q.get('severity') ?? '',
    facility: q.get('facility') ?? '',
    unit: q.get('unit') ?? '',
    from: DAY_RE.test(q.get('from') ?? '') ? q.get('from')! : '',
    to: DAY_RE.test(q.get('to') ?? '') ? q.get('to')! : '',
  };
  const [offset, setOffset] = useState(0);
  const [changes, setChanges] = useState(0);
  const changed = () => setChanges((n) => n + 1);

  const open = useApi(
    (signal) =>
      apiAll<AlarmItem>('/alarms', { state: 'open', unit }, 5).then((rows) => {
        signal.throwIfAborted();
        return rows.sort(compareAlarms);
      }),
    [unit, live.updatedAt, changes],
  );
  const history = useApi(
    (signal) =>
      api<Page<AlarmItem>>('/alarms', {
        query: {
          state: f.state,
          severity: f.severity,
          facility_id: f.facility,
          storage_unit_id: f.unit,
          start_date: f.from ? dayStart(f.from) : undefined,
          end_date: f.to ? dayEnd(f.to) : undefined,
          limit: LIMIT,
          offset,
          unit,
        },
        signal,
      }),
    [f.state, f.severity, f.facility, f.unit, f.from, f.to, offset, unit, changes],
  );
  const fleet = useApi((signal) => loadUnits(unit, signal), []);
  const unitChoices = useMemo(
    () =>
      (fleet.data?.units ?? [])
        .filter((u) => !f.facility || u.facility_id === f.facility)
        .sort((a, b) => unitLabel(a).localeCompare(unitLabel(b))),
    [fleet.data, f.facility],
  );
  const set = (k: keyof typeof f) => (e: Event) => {
    setOffset(0);
    const v = (e.target as HTMLInputElement).value;
    // A unit belongs to one facility: choosing another facility drops the unit.
    replaceQuery(route, { ...f, [k]: v, ...(k === 'facility' ? { unit: '' } : {}) });
  };

  return (
    <div class="page">
      <h1>Alarms</h1>
      <p class="muted">
        Every excursion must be reviewed: an alarm stays open until it has cleared <em>and</em> someone has
        acknowledged it with a comment. <a href={href('/notifications')}>Notification settings</a>
      </p>
      <Card title={`Open alarms${open.data ? ` (${open.data.length})` : ''}`} id="open-alarms-card">
        <ErrorBox error={open.error} retry={open.reload} />
        {open.loading && !open.data && <Loading what="Loading open alarms" />}
        {open.data && open.data.length === 0 && <Empty>No open alarms.</Empty>}
        {open.data && open.data.length > 0 && (
          <AlarmTable
            alarms={open.data}
            unit={unit}
            now={now}
            onChanged={changed}
            testid="open-alarms-table"
          />
        )}
      </Card>

      <Card title="Alarm history" id="alarm-history">
        <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter the alarm history">
          <div class="field">
            <label for="al-state">State</label>
            <select id="al-state" value={f.state} onChange={set('state')}>
              {STATE_FILTERS.map(([v, label]) => (
                <option key={v} value={v}>
                  {label}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="al-severity">Severity</label>
            <select id="al-severity" value={f.severity} onChange={set('severity')}>
              <option value="">Any severity</option>
              <option value="critical">Critical</option>
              <option value="warning">Warning</option>
            </select>
          </div>
          <div class="field">
            <label for="al-facility">Facility</label>
            <select id="al-facility" value={f.facility} onChange={set('facility')}>
              <option value="">All facilities</option>
              {fleet.data?.facilities.map((x) => (
                <option key={x.id} value={x.id}>
                  {facilityLabel(x)}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="al-unit">Unit</label>
            <select id="al-unit" value={f.unit} onChange={set('unit')}>
              <option value="">All units</option>
              {unitChoices.map((u) => (
                <option key={u.id} value={u.id}>
                  {unitLabel(u)}
                  {f.facility ? '' : ` · ${facilityLabel(u.facility)}`}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="al-from">Started from</label>
            <input id="al-from" type="date" value={f.from} max={f.to || undefined} onChange={set('from')} />
          </div>
          <div class="field">
            <label for="al-to">to</label>
            <input id="al-to" type="date" value={f.to} min={f.from || undefined} onChange={set('to')} />
          </div>
        </form>
        <ErrorBox error={history.error} retry={history.reload} />
        {history.loading && !history.data && <Loading what="Loading the alarm history" />}
        {history.data && history.data.items.length === 0 && <Empty>No alarm matches these filters.</Empty>}
        {history.data && history.data.items.length > 0 && (
          <>
            <AlarmTable
              alarms={history.data.items}
              unit={unit}
              now={now}
              onChanged={changed}
              testid="alarm-history-table"
            />
            <Pager
              offset={offset}
              limit={LIMIT}
              total={history.data.total}
              onChange={setOffset}
              label="Alarm history"
            />
          </>
        )}
      </Card>
    </div>
  );
};
