import { TIME_ZONE } from './format.ts';

/**
 * Axis labels of the charts: signed temperatures with as many decimals as the tick step needs,
 * and times in the browser's locale (its 12- or 24-hour custom) and time zone. uPlot's own time
 * labels are hard-coded US English ("3pm", "11/8"), so every chart uses these instead.
 */

/** Decimals of a tick step: 2.5 → 1, 0.25 → 2, 5 → 0. */
const decimalsOf = (step: number): number => {
  const s = String(Number(step.toPrecision(6)));
  const dot = s.indexOf('.');
  return dot < 0 || s.includes('e') ? 0 : Math.min(3, s.length - dot - 1);
};

/** `-72.5°C`: the sign always shown, never `-0`. */
export const temperatureTicks = (ticks: number[], step: number, unit: string): string[] => {
  const digits = decimalsOf(step);
  return ticks.map((t) => {
    const v = Number(t.toFixed(digits));
    return `${(v === 0 ? 0 : v).toFixed(digits)}°${unit}`;
  });
};

const DAY_S = 86_400;
const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', timeZone: TIME_ZONE });
const day = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', timeZone: TIME_ZONE });
const month = new Intl.DateTimeFormat(undefined, { month: 'short', timeZone: TIME_ZONE });
const year = new Intl.DateTimeFormat(undefined, { year: 'numeric', timeZone: TIME_ZONE });
/** A sortable calendar key in the browser zone, to see where a day or year changes. */
const dayKey = new Intl.DateTimeFormat('en-CA', {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  timeZone: TIME_ZONE,
});

/**
 * Labels of time ticks (seconds since the epoch) for a tick step in seconds: the time of day
 * with the date under the first tick of each day, the day with the year under the first tick of
 * each year, or the month with its year.
 */
export const timeTicks = (ticks: number[], step: number): string[] => {
  let prevDay = '';
  return ticks.map((t) => {
    const d = new Date(t * 1000);
    const key = dayKey.format(d);
    const newDay = key !== prevDay.slice(0, 10);
    const newYear = key.slice(0, 4) !== prevDay.slice(0, 4);
    prevDay = key;
    if (step < DAY_S) return newDay ? `${time.format(d)}\n${day.format(d)}` : time.format(d);
    if (step < 28 * DAY_S) return newYear ? `${day.format(d)}\n${year.format(d)}` : day.format(d);
    return newYear ? `${month.format(d)}\n${year.format(d)}` : month.format(d);
  });
};

let measurer: CanvasRenderingContext2D | null = null;

/** Width in CSS pixels of the widest label in `font` (an axis must be at least this wide). */
export const widestLabel = (labels: string[], font: string): number => {
  measurer ??= document.createElement('canvas').getContext('2d');
  if (!measurer) return labels.reduce((w, l) => Math.max(w, l.length * 8), 0);
  measurer.font = font;
  return labels.reduce(
    (w, l) => l.split('\n').reduce((lw, line) => Math.max(lw, measurer!.measureText(line).width), w),
    0,
  );
};
