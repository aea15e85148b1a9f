import { useEffect, useState } from 'preact/hooks';
import { isoDay } from '../lib/format.ts';

export interface Preset {
  key: string;
  label: string;
}

/** Calendar days `from`–`to` (YYYY-MM-DD, inclusive, in the browser's zone). */
export interface DayRange {
  from: string;
  to: string;
}

/**
 * Preset ranges ending now, plus a custom range of calendar days. `active` is the preset shown
 * (null while a custom range or a zoom is shown).
 */
export const RangePicker = ({
  presets,
  active,
  custom,
  zoomed,
  onPreset,
  onCustom,
  onResetZoom,
  idPrefix = 'range',
}: {
  presets: readonly Preset[];
  active: string | null;
  custom: DayRange | null;
  zoomed: boolean;
  onPreset: (key: string) => void;
  onCustom: (range: DayRange) => void;
  onResetZoom: () => void;
  /** Prefix of the form's element ids: a second picker on a page needs its own. */
  idPrefix?: string;
}) => {
  const today = isoDay(new Date());
  const [from, setFrom] = useState(custom?.from ?? '');
  const [to, setTo] = useState(custom?.to ?? today);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (custom) {
      setFrom(custom.from);
      setTo(custom.to);
    }
  }, [custom?.from, custom?.to]);

  const apply = (e: Event) => {
    e.preventDefault();
    if (!from || !to) return setError('Choose both days.');
    if (from > to) return setError('The first day must not be after the last day.');
    setError(null);
    onCustom({ from, to });
  };

  return (
    <div class="range-picker">
      <div class="seg" role="group" aria-label="Time range">
        {presets.map((r) => (
          <button
            key={r.key}
            type="button"
            class={!zoomed && active === r.key ? 'active' : ''}
            aria-pressed={!zoomed && active === r.key}
            data-range={r.key}
            onClick={() => onPreset(r.key)}
          >
            {r.label}
          </button>
        ))}
        {zoomed && (
          <button type="button" onClick={onResetZoom} data-testid="reset-zoom">
            Reset zoom
          </button>
        )}
      </div>
      <form class="range-form" onSubmit={apply} aria-label="Custom date range" noValidate>
        <div class="field">
          <label for={`${idPrefix}-from`}>From</label>
          <input
            id={`${idPrefix}-from`}
            type="date"
            max={today}
            value={from}
            onInput={(e) => setFrom((e.target as HTMLInputElement).value)}
          />
        </div>
        <div class="field">
          <label for={`${idPrefix}-to`}>To</label>
          <input
            id={`${idPrefix}-to`}
            type="date"
            max={today}
            value={to}
            onInput={(e) => setTo((e.target as HTMLInputElement).value)}
          />
        </div>
        <button
          type="submit"
          class={`btn btn-small ${custom && !zoomed ? 'btn-primary' : ''}`}
          data-testid={`apply-custom-${idPrefix}`}
        >
          Show
        </button>
        {error && (
          <p class="alert alert-error" role="alert">
            {error}
          </p>
        )}
      </form>
    </div>
  );
};
