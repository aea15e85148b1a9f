import { useState } from 'preact/hooks';
import { RangePicker, type DayRange } from './RangePicker.tsx';
import { Card } from './ui.tsx';
import { apiBlob } from '../lib/api.ts';
import { exportFileName, saveBlob } from '../lib/download.ts';
import { dayEnd, dayStart, isoDay, TIME_ZONE } from '../lib/format.ts';

const PRESETS = [
  { key: 'report-1d', label: '24 h', days: 1 },
  { key: 'report-7d', label: '7 days', days: 7 },
  { key: 'report-30d', label: '30 days', days: 30 },
] as const;

const presetWindow = (days: number) => {
  const end = new Date();
  return { start: new Date(end.getTime() - days * 86_400_000), end };
};

/**
 * "Report" control of the unit and facility pages: a range and PDF / CSV buttons that download
 * `/reports/{kind}/{id}.pdf|.csv` with the bearer token (so not a plain link), in the browser's zone.
 */
export const ReportDownload = ({
  kind,
  id,
  what,
}: {
  kind: 'unit' | 'facility';
  id: string;
  what: string;
}) => {
  const [preset, setPreset] = useState<string | null>('report-7d');
  const [custom, setCustom] = useState<DayRange | null>(null);
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();
  const range = () => {
    if (custom) return { start: new Date(dayStart(custom.from)), end: new Date(dayEnd(custom.to)) };
    return presetWindow(PRESETS.find((p) => p.key === preset)?.days ?? 7);
  };
  const download = async (ext: 'pdf' | 'csv') => {
    const win = range();
    setBusy(ext);
    setError(undefined);
    try {
      const { blob } = await apiBlob(`/reports/${kind}/${encodeURIComponent(id)}.${ext}`, {
        query: { start_date: win.start.toISOString(), end_date: win.end.toISOString(), tz: TIME_ZONE },
      });
      saveBlob(blob, exportFileName(`${what} report`, win.start, win.end, ext));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <Card title="Report">
      <div class="report-download" data-testid="report-download">
        <RangePicker
          presets={PRESETS}
          active={custom ? null : preset}
          custom={custom ?? { from: isoDay(range().start), to: isoDay(range().end) }}
          zoomed={false}
          onPreset={(k) => (setCustom(null), setPreset(k))}
          onCustom={(r) => (setPreset(null), setCustom(r))}
          onResetZoom={() => undefined}
          idPrefix="report"
        />
        <button
          type="button"
          class="btn"
          disabled={!!busy}
          data-testid="report-pdf"
          onClick={() => void download('pdf')}
        >
          {busy === 'pdf' ? 'Preparing…' : 'PDF'}
        </button>{' '}
        <button
          type="button"
          class="btn"
          disabled={!!busy}
          data-testid="report-csv"
          onClick={() => void download('csv')}
        >
          {busy === 'csv' ? 'Preparing…' : 'CSV'}
        </button>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </div>
    </Card>
  );
};
