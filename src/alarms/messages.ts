import type { AlarmMessageRow, CustomerMessageRow } from '../db/notification-repo.ts';
import { fromCelsius } from '../domain/units.ts';

// What a notification says: a subject and plain text for e-mail (with a small HTML twin), and the
// JSON a webhook receives. A reader must be able to act on the message alone: whose unit, where,
// what happened, how far beyond the limit, since when in their own time zone, and where to click.

export type MessageEvent = 'started' | 'escalated' | 'repeat' | 'cleared' | 'test';

export interface RenderedMessage {
  subject: string;
  text: string;
  html: string;
  /** The webhook body (before signing). */
  payload: Record<string, unknown>;
}

export interface RenderOptions {
  event: MessageEvent;
  /** Dashboard base URL without a trailing slash (TMS_PUBLIC_URL). */
  publicUrl: string;
  idempotencyKey: string;
  now: Date;
  channel: { id: string | null; name: string | null; escalateAfterSeconds?: number };
}

const KIND_LABELS: Record<string, string> = {
  high: 'High temperature',
  low: 'Low temperature',
  no_data: 'No data',
  sensor_failure: 'Sensor failure',
  predicted_breach: 'Predicted breach',
  source_down: 'Data source down',
};

/** The dashboard's hash route of an alarm (web/src/lib/router.ts). */
export const alarmLink = (publicUrl: string, alarmId: string): string => `${publicUrl}/#/alarms/${alarmId}`;

const pad = (n: number) => String(n).padStart(2, '0');

/** `2026-12-02 03:15:00 UTC`. */
const utcText = (d: Date): string =>
  `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;

/** The wall-clock time in `zone` with its abbreviation (`2026-12-02 04:15:00 CET`); UTC when the zone is unknown. */
export const zonedText = (d: Date, zone: string): string => {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    }).formatToParts(d);
  } catch {
    return utcText(d);
  }
  const p = (t: string) => parts.find((x) => x.type === t)?.value ?? '';
  return `${p('year')}-${p('month')}-${p('day')} ${p('hour')}:${p('minute')}:${p('second')} ${p('timeZoneName')} (${zone})`;
};

const temperatureText = (c: number | null, unit: 'C' | 'F'): string | null =>
  c === null ? null : `${fromCelsius(c, unit).toFixed(1)} °${unit}`;

const named = (name: string | null, code: string | null): string | null =>
  code === null ? null : name && name !== code ? `${name} (${code})` : code;

const durationText = (seconds: number): string =>
  seconds < 120
    ? `${Math.round(seconds)} s`
    : seconds < 7200
      ? `${Math.round(seconds / 60)} min`
      : `${(seconds / 3600).toFixed(1)} h`;

const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const htmlOf = (title: string, lines: Array<[string, string]>, link: string | null): string =>
  `<!doctype html><html><body style="font-family:sans-serif">` +
  `<h2>${escapeHtml(title)}</h2><table>` +
  lines.map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('') +
  `</table>` +
  (link ? `<p><a href="${escapeHtml(link)}">Open the alarm in tms</a></p>` : '') +
  `</body></html>`;

const textOf = (title: string, lines: Array<[string, string]>, link: string | null): string =>
  [title, '', ...lines.map(([k, v]) => `${`${k}:`.padEnd(15)}${v}`), ...(link ? ['', link] : []), ''].join(
    '\n',
  );

const EVENT_PREFIX: Record<MessageEvent, string> = {
  started: '',
  escalated: 'ESCALATED: ',
  repeat: 'REMINDER: ',
  cleared: 'CLEARED: ',
  test: '',
};

/** The message about an alarm for one event. */
export const renderAlarmMessage = (a: AlarmMessageRow, o: RenderOptions): RenderedMessage => {
  const unit = a.temperature_unit ?? 'C';
  const kind = KIND_LABELS[a.kind] ?? a.kind;
  const unitName = named(a.unit_name, a.unit_code);
  const facilityName = named(a.facility_name, a.facility_code);
  const customerName = `${a.customer_name} (${a.customer_code})`;
  const where = unitName ? `${unitName} at ${facilityName ?? '?'}` : `all units of ${customerName}`;
  const link = alarmLink(o.publicUrl, a.id);
  const severity = a.severity.toUpperCase();
  const subject = `${EVENT_PREFIX[o.event]}[${severity}] ${kind}: ${where}`;

  const threshold = temperatureText(a.threshold_c, unit);
  const peak = temperatureText(a.peak_c, unit);
  const latest = temperatureText(a.latest_c, unit);
  const lines: Array<[string, string]> = [
    ['Customer', customerName],
    ['Facility', facilityName ?? '-'],
    ['Unit', unitName ?? '- (the customer’s data source)'],
    ['Alarm', `${kind}, ${a.severity}`],
  ];
  if (threshold) lines.push(['Threshold', threshold]);
  if (peak) lines.push([a.kind === 'low' ? 'Lowest' : 'Peak', peak]);
  if (latest && a.latest_at) lines.push(['Latest', `${latest} at ${zonedText(a.latest_at, a.timezone)}`]);
  lines.push(['Started', `${zonedText(a.started_at, a.timezone)} = ${utcText(a.started_at)}`]);
  if (a.late)
    lines.push([
      'Detected late',
      `${zonedText(a.detected_at, a.timezone)} (the readings arrived late; the alarm was confirmed at ${utcText(a.confirmed_at)})`,
    ]);
  if (a.cleared_at)
    lines.push(['Cleared', `${zonedText(a.cleared_at, a.timezone)} = ${utcText(a.cleared_at)}`]);
  if (o.event === 'escalated' && o.channel.escalateAfterSeconds)
    lines.push(['Escalated', `not acknowledged within ${durationText(o.channel.escalateAfterSeconds)}`]);
  lines.push(['State', a.state]);
  if (a.acknowledged_at)
    lines.push([
      'Acknowledged',
      `${zonedText(a.acknowledged_at, a.timezone)} by ${a.acknowledged_by ?? '?'}${a.comment ? `: ${a.comment}` : ''}`,
    ]);

  const title = `${EVENT_PREFIX[o.event]}${kind} (${a.severity}) — ${where}`;
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  const inUnit = (c: number | null) => (c === null ? null : Math.round(fromCelsius(c, unit) * 100) / 100);
  return {
    subject,
    text: textOf(title, lines, link),
    html: htmlOf(title, lines, link),
    payload: {
      event: o.event,
      idempotency_key: o.idempotencyKey,
      sent_at: o.now.toISOString(),
      channel: { id: o.channel.id, name: o.channel.name },
      customer: { name: a.customer_name, code: a.customer_code, timezone: a.timezone },
      facility: a.facility_code === null ? null : { name: a.facility_name, code: a.facility_code },
      unit: a.unit_code === null ? null : { name: a.unit_name, code: a.unit_code, temperature_unit: unit },
      alarm: {
        id: a.id,
        kind: a.kind,
        severity: a.severity,
        state: a.state,
        threshold: inUnit(a.threshold_c),
        peak: inUnit(a.peak_c),
        latest: inUnit(a.latest_c),
        latest_at: iso(a.latest_at),
        temperature_unit: unit,
        started_at: iso(a.started_at),
        started_at_local: zonedText(a.started_at, a.timezone),
        confirmed_at: iso(a.confirmed_at),
        detected_at: iso(a.detected_at),
        late: a.late,
        cleared_at: iso(a.cleared_at),
        acknowledged_at: iso(a.acknowledged_at),
        acknowledged_by: a.acknowledged_by,
        url: link,
      },
      text: textOf(title, lines, link),
    },
  };
};

/** The message of a test send: proves the channel works and says so. */
export const renderTestMessage = (c: CustomerMessageRow, o: RenderOptions): RenderedMessage => {
  const customerName = `${c.customer_name} (${c.customer_code})`;
  const title = `tms test notification for ${customerName}`;
  const lines: Array<[string, string]> = [
    ['Customer', customerName],
    ['Channel', o.channel.name ?? o.channel.id ?? '-'],
    ['Sent', `${zonedText(o.now, c.timezone)} = ${utcText(o.now)}`],
    ['Meaning', 'this channel receives tms alarm notifications; no alarm is active because of this message'],
  ];
  return {
    subject: `[TEST] ${title}`,
    text: textOf(title, lines, o.publicUrl),
    html: htmlOf(title, lines, o.publicUrl),
    payload: {
      event: 'test',
      idempotency_key: o.idempotencyKey,
      sent_at: o.now.toISOString(),
      channel: { id: o.channel.id, name: o.channel.name },
      customer: { name: c.customer_name, code: c.customer_code, timezone: c.timezone },
      facility: null,
      unit: null,
      alarm: null,
      text: textOf(title, lines, o.publicUrl),
    },
  };
};
