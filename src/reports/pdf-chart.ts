import { localMidnight, zonedLocalToUtcMs, zoneOffsetMs } from '../domain/time.ts';
import { fromCelsius, type TemperatureUnit } from '../domain/units.ts';
import { unitSymbol } from './format.ts';
import type { UnitSection } from './model.ts';

// The temperature chart of a unit, drawn as vector paths: the readings as a line (short windows) or
// the hourly min/max envelope with its mean (long ones), the set point and the alarm limits as dashed
// lines, time ticks in the report's zone. Only the drawing is here; what is drawn is model.ts's.

type Doc = PDFKit.PDFDocument;

export interface ChartBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface ChartOptions {
  start: number;
  end: number;
  tz: string;
  unit: TemperatureUnit;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TIME_STEPS = [
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
  28 * DAY,
  56 * DAY,
];
const COLOURS = {
  frame: '#888888',
  grid: '#e3e3e3',
  text: '#333333',
  series: '#1f5fa8',
  envelope: '#b9d0ec',
  set: '#2e8b57',
  limit: '#c0392b',
};

/** A "nice" step (1, 2, 2.5 or 5 × 10^k) for about `n` ticks over `span`. */
const niceStep = (span: number, n: number): number => {
  const raw = span / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 2.5, 5, 10].find((m) => m * p >= raw) ?? 10) * p;
};

/** Local-time ticks: hour multiples of the day below a day, local midnights from a day up. */
const timeTicks = (o: ChartOptions, maxTicks: number): { at: number; label: string }[] => {
  const span = o.end - o.start;
  const step = TIME_STEPS.find((s) => span / s <= maxTicks) ?? TIME_STEPS.at(-1)!;
  const label = (ms: number) => {
    const iso = new Date(ms + zoneOffsetMs(o.tz, ms)).toISOString();
    return step < DAY ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(0, 10);
  };
  const first = localMidnight(o.tz, o.start, 'floor')?.startMs ?? Math.floor(o.start / DAY) * DAY;
  const firstLocal = first + zoneOffsetMs(o.tz, first);
  const ticks: { at: number; label: string }[] = [];
  for (let local = firstLocal; ticks.length < 200; local += step) {
    const at = zonedLocalToUtcMs(local, o.tz);
    if (at > o.end) break;
    if (at >= o.start) ticks.push({ at, label: label(at) });
  }
  return ticks;
};

/** The temperature range to show: the data, the set point and the limits, with a margin. */
const valueRange = (s: UnitSection, unit: TemperatureUnit): { lo: number; hi: number } => {
  const vals: number[] = [s.setC, s.figures.limits.low_c, s.figures.limits.high_c];
  if (s.chart.kind === 'points') for (const p of s.chart.points) vals.push(p.c);
  else for (const b of s.chart.buckets) vals.push(b.min, b.max);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of vals) {
    const d = fromCelsius(v, unit);
    if (d < lo) lo = d;
    if (d > hi) hi = d;
  }
  const pad = Math.max((hi - lo) * 0.08, 0.5);
  return { lo: lo - pad, hi: hi + pad };
};

/** Draws one unit's chart in `box` (the legend goes below it, within `box.h`). */
export const drawChart = (doc: Doc, box: ChartBox, s: UnitSection, o: ChartOptions): void => {
  const plot = { x: box.x + 38, y: box.y + 4, w: box.w - 38 - 54, h: box.h - 40 };
  const { lo, hi } = valueRange(s, o.unit);
  const X = (t: number) => plot.x + ((t - o.start) / (o.end - o.start)) * plot.w;
  const Y = (c: number) => plot.y + plot.h - ((fromCelsius(c, o.unit) - lo) / (hi - lo)) * plot.h;
  const Yd = (v: number) => plot.y + plot.h - ((v - lo) / (hi - lo)) * plot.h;

  doc.save();
  doc.font('Helvetica').fontSize(6.5).fillColor(COLOURS.text).lineWidth(0.4);
  // Grid and value ticks.
  const vStep = niceStep(hi - lo, 6);
  for (let v = Math.ceil(lo / vStep) * vStep; v <= hi; v += vStep) {
    const y = Yd(v);
    doc
      .moveTo(plot.x, y)
      .lineTo(plot.x + plot.w, y)
      .strokeColor(COLOURS.grid)
      .stroke();
    doc.text(`${Number(v.toFixed(2))}`, box.x, y - 3, { width: 34, align: 'right', lineBreak: false });
  }
  for (const tick of timeTicks(o, 8)) {
    const x = X(tick.at);
    doc
      .moveTo(x, plot.y)
      .lineTo(x, plot.y + plot.h)
      .strokeColor(COLOURS.grid)
      .stroke();
    doc.text(tick.label, x - 30, plot.y + plot.h + 3, { width: 60, align: 'center', lineBreak: false });
  }
  doc.text(unitSymbol(o.unit), box.x, plot.y - 1, { width: 34, align: 'right', lineBreak: false });

  // The data, clipped to the plot.
  doc.save();
  doc.rect(plot.x, plot.y, plot.w, plot.h).clip();
  if (s.chart.kind === 'points') {
    const breakMs = s.figures.max_gap_minutes * 60_000;
    let prev: number | null = null;
    for (const p of s.chart.points) {
      if (prev === null || p.t - prev > breakMs) doc.moveTo(X(p.t), Y(p.c));
      else doc.lineTo(X(p.t), Y(p.c));
      prev = p.t;
    }
    doc.lineWidth(0.7).strokeColor(COLOURS.series).stroke();
  } else {
    // One filled band per run of adjacent buckets (a missing bucket is a gap), then the mean line.
    const runs: (typeof s.chart.buckets)[] = [];
    for (const b of s.chart.buckets) {
      const run = runs.at(-1);
      if (run && run.at(-1)!.t1 >= b.t0) run.push(b);
      else runs.push([b]);
    }
    for (const run of runs) {
      const upper = run.flatMap((b) => [
        [X(b.t0), Y(b.max)],
        [X(b.t1), Y(b.max)],
      ]);
      const lower = run
        .flatMap((b) => [
          [X(b.t1), Y(b.min)],
          [X(b.t0), Y(b.min)],
        ])
        .reverse();
      doc
        .polygon(...upper, ...lower)
        .fillColor(COLOURS.envelope)
        .fill();
    }
    for (const run of runs) {
      run.forEach((b, i) => {
        const x = X((b.t0 + b.t1) / 2);
        if (i === 0) doc.moveTo(x, Y(b.mean));
        else doc.lineTo(x, Y(b.mean));
      });
    }
    doc.lineWidth(0.7).strokeColor(COLOURS.series).stroke();
  }
  doc.restore();

  // Set point and limits, labelled at the right.
  const line = (c: number, colour: string, label: string) => {
    const y = Y(c);
    doc.save().lineWidth(0.8).dash(4, { space: 3 }).strokeColor(colour);
    doc
      .moveTo(plot.x, y)
      .lineTo(plot.x + plot.w, y)
      .stroke()
      .undash()
      .restore();
    doc.fillColor(colour).text(label, plot.x + plot.w + 3, y - 3, { width: 52, lineBreak: false });
  };
  line(s.setC, COLOURS.set, 'set point');
  line(s.figures.limits.high_c, COLOURS.limit, 'high limit');
  line(s.figures.limits.low_c, COLOURS.limit, 'low limit');
  doc.rect(plot.x, plot.y, plot.w, plot.h).lineWidth(0.5).strokeColor(COLOURS.frame).stroke();

  // Legend.
  const ly = plot.y + plot.h + 16;
  doc.fillColor(COLOURS.text);
  const legend =
    s.chart.kind === 'points'
      ? 'Line: every reading (broken where no reading holds).'
      : `Band: min-max per ${bucketText(s)}, from hourly rollups; line: mean.`;
  doc.text(`${legend}  Dashed: set point (green), alarm limits (red). Times: ${o.tz}.`, plot.x, ly, {
    width: plot.w,
    lineBreak: false,
  });
  doc.restore();
};

const bucketText = (s: UnitSection): string => {
  if (s.chart.kind !== 'envelope' || s.chart.buckets.length === 0) return 'hour';
  const b = s.chart.buckets[0]!;
  const hours = Math.round((b.t1 - b.t0) / HOUR);
  return hours <= 1 ? 'hour' : `${hours} hours`;
};
