import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { temperatureTicks, timeTicks, widestLabel } from '../lib/chart-format.ts';
import { fmtDateTime, TIME_ZONE } from '../lib/format.ts';

export interface ChartSeries {
  label: string;
  color: string;
  /** y values aligned with `x`; null leaves a gap. */
  values: (number | null)[];
  width?: number;
  dash?: number[];
  /** Hidden from the legend's numbers (band edges). */
  fillTo?: string;
  points?: boolean;
}

export interface ChartBand {
  /** Labels of the upper and lower series. */
  upper: string;
  lower: string;
  fill: string;
}

/** A time interval shaded across the plot's height (an alarm's duration). */
export interface ChartShade {
  /** Seconds since the epoch. */
  from: number;
  to: number;
  fill: string;
}

export interface TimeChartProps {
  /** Seconds since the epoch, ascending. */
  x: number[];
  series: ChartSeries[];
  bands?: ChartBand[];
  shades?: ChartShade[];
  height?: number;
  /** Accessible name, e.g. "Temperature of Freezer 1, last 24 h". */
  label: string;
  unit: string;
  testid?: string;
  /** Called with the visible x range (s) after a drag-zoom; null after the zoom is reset. */
  onZoom?: (range: [number, number] | null) => void;
}

const tzDate = (ts: number) => uPlot.tzDate(new Date(ts * 1000), TIME_ZONE);

/** Set explicitly so the axis width can be measured in the same font. */
const AXIS_FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';
const TICK_SIZE = 10;
const TICK_GAP = 5;

/**
 * A uPlot time-series chart. Drag across it to zoom, double-click to reset. The container carries
 * `data-points` (points drawn, for tests) and gets `data-drawn` once uPlot has painted.
 */
export const TimeChart = ({
  x,
  series,
  bands,
  shades,
  height = 280,
  label,
  unit,
  testid,
  onZoom,
}: TimeChartProps) => {
  const host = useRef<HTMLDivElement>(null);
  const zoomRef = useRef(onZoom);
  zoomRef.current = onZoom;

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    el.removeAttribute('data-drawn');
    const idx = (name: string) => series.findIndex((s) => s.label === name) + 1;
    // The labels last drawn, published on the element for tests and tools (canvas text is not in the DOM).
    let xLabels: string[] = [];
    let yLabels: string[] = [];
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height,
      tzDate,
      // Room on the right for the last time label, which is centred on its tick ("12:00 AM" was cut).
      padding: [null, 28, null, null],
      cursor: { drag: { x: true, y: false, setScale: true } },
      scales: {
        x: {
          time: true,
          // One point alone made uPlot span years ("Feb 2027 … Aug 2029"): an hour either side instead.
          range: (_u, min, max) => (min === max ? [min - 3600, max + 3600] : [min, max]),
        },
      },
      axes: [
        {
          stroke: '#475569',
          font: AXIS_FONT,
          grid: { stroke: '#e2e8f0' },
          values: (_u, ticks, _i, _space, step) => (xLabels = timeTicks(ticks, step)),
        },
        {
          stroke: '#475569',
          font: AXIS_FONT,
          grid: { stroke: '#e2e8f0' },
          ticks: { size: TICK_SIZE },
          gap: TICK_GAP,
          // Wide enough for the widest label: a fixed width cut the minus sign off "-77.5°C".
          size: (_u, values) => Math.ceil(widestLabel(values ?? [], AXIS_FONT) + TICK_SIZE + TICK_GAP + 4),
          values: (_u, ticks, _i, _space, step) => (yLabels = temperatureTicks(ticks, step, unit)),
        },
      ],
      series: [
        {
          label: 'Time',
          value: (_u, v) =>
            v === null || v === undefined ? '—' : fmtDateTime(new Date(v * 1000).toISOString()),
        },
        ...series.map<uPlot.Series>((s) => ({
          label: s.label,
          stroke: s.color,
          width: s.width ?? 1.5,
          dash: s.dash,
          spanGaps: false,
          points: { show: s.points ?? x.length < 60 },
          value: (_u, v) => (v === null || v === undefined ? '—' : `${v.toFixed(1)} °${unit}`),
        })),
      ],
      bands: (bands ?? [])
        .map((b) => ({ series: [idx(b.upper), idx(b.lower)] as [number, number], fill: b.fill }))
        .filter((b) => b.series[0] > 0 && b.series[1] > 0),
      hooks: {
        // Under the series: drawn right after uPlot clears the canvas.
        drawClear: [
          (u) => {
            for (const s of shades ?? []) {
              const x0 = Math.max(u.bbox.left, u.valToPos(s.from, 'x', true));
              const x1 = Math.min(u.bbox.left + u.bbox.width, u.valToPos(s.to, 'x', true));
              if (x1 <= x0) continue;
              u.ctx.fillStyle = s.fill;
              u.ctx.fillRect(x0, u.bbox.top, x1 - x0, u.bbox.height);
            }
          },
        ],
        draw: [
          () => {
            el.dataset.xTicks = JSON.stringify(xLabels);
            el.dataset.yTicks = JSON.stringify(yLabels);
            el.dataset.drawn = String(performance.now());
            el.dispatchEvent(new CustomEvent('chartdrawn', { bubbles: true }));
          },
        ],
        setSelect: [],
        setScale: [
          (u, key) => {
            if (key !== 'x' || !zoomRef.current) return;
            const min = u.scales.x?.min;
            const max = u.scales.x?.max;
            if (min === undefined || max === undefined) return;
            const full = x.length > 1 && min <= x[0]! && max >= x[x.length - 1]!;
            zoomRef.current(full ? null : [min, max]);
          },
        ],
      },
    };
    const chart = new uPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    const ro = new ResizeObserver(() => {
      const w = Math.max(280, el.clientWidth);
      if (Math.abs(w - chart.width) > 2) chart.setSize({ width: w, height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      chart.destroy();
    };
  }, [x, series, bands, shades, height, unit]);

  const points =
    x.length === 0 ? 0 : series.reduce((n, s) => Math.max(n, s.values.filter((v) => v !== null).length), 0);
  return (
    <figure class="chart" aria-label={label}>
      <div
        ref={host}
        class="chart-host"
        data-testid={testid}
        data-points={points}
        role="img"
        aria-label={label}
      />
      <figcaption class="chart-caption">
        {label} · drag to zoom, double-click to reset · times in {TIME_ZONE}
      </figcaption>
    </figure>
  );
};
