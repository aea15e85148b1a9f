import { api } from '../lib/api.ts';
import { useApi, useTicker } from '../lib/hooks.ts';
import { href } from '../lib/router.ts';
import type { AlarmItem, Page, TempUnit } from '../lib/types.ts';
import { AlarmTable } from './AlarmTable.tsx';
import { RuleEditor } from './RuleEditor.tsx';
import { Card, Empty, ErrorBox, Loading } from './ui.tsx';

const LIMIT = 10;

/** The unit page's alarm cards: its alarms (unacknowledged and open first) and its rule editor. */
export const UnitAlarms = ({ unitId, unit }: { unitId: string; unit: TempUnit }) => {
  const now = useTicker(15_000);
  const alarms = useApi(
    (signal) =>
      api<Page<AlarmItem>>('/alarms', {
        query: { storage_unit_id: unitId, sort: 'priority', unit, limit: LIMIT },
        signal,
      }),
    [unitId, unit],
  );
  return (
    <>
      <Card
        title={`Alarms of this unit${alarms.data && alarms.data.total > LIMIT ? ` (${LIMIT} of ${alarms.data.total})` : ''}`}
        id="unit-alarms"
        actions={<a href={href('/alarms', { unit: unitId })}>Full history</a>}
      >
        <ErrorBox error={alarms.error} retry={alarms.reload} />
        {alarms.loading && !alarms.data && <Loading what="Loading alarms" />}
        {alarms.data && alarms.data.items.length === 0 && <Empty>This unit has had no alarm.</Empty>}
        {alarms.data && alarms.data.items.length > 0 && (
          <AlarmTable
            alarms={alarms.data.items}
            unit={unit}
            now={now}
            onChanged={alarms.reload}
            testid="unit-alarms-table"
          />
        )}
      </Card>
      <Card title="Alarm rules" id="unit-rules">
        <RuleEditor unitId={unitId} unit={unit} />
      </Card>
    </>
  );
};
