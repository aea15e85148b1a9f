import { describe, expect, it } from 'vitest';
import {
  isValidTimeZone,
  localMidnight,
  parseDurationMs,
  parseSourceTimestamp,
  zonedLocalToUtcMs,
  zoneOffsetMs,
} from './time.ts';

const iso = (ms: number | undefined): string | undefined =>
  ms === undefined ? undefined : new Date(ms).toISOString();

describe('parseSourceTimestamp', () => {
  it('takes Z and offsets as they are', () => {
    expect(iso(parseSourceTimestamp('2025-06-17T20:25:27.520Z', 'Europe/London'))).toBe(
      '2025-06-17T20:25:27.520Z',
    );
    expect(iso(parseSourceTimestamp('2025-06-17T22:25:27+02:00', 'UTC'))).toBe('2025-06-17T20:25:27.000Z');
    expect(iso(parseSourceTimestamp('2025-06-17T15:25:27-0500', 'UTC'))).toBe('2025-06-17T20:25:27.000Z');
  });

  it('reads naive times in the customer zone, both layouts, truncating microseconds', () => {
    // BST (UTC+1) in June.
    expect(iso(parseSourceTimestamp('2025-06-17T20:25:27.520281', 'Europe/London'))).toBe(
      '2025-06-17T19:25:27.520Z',
    );
    expect(iso(parseSourceTimestamp('2025-06-17 11:39:29', 'Europe/London'))).toBe(
      '2025-06-17T10:39:29.000Z',
    );
    // GMT in January.
    expect(iso(parseSourceTimestamp('2025-01-17 11:39:29', 'Europe/London'))).toBe(
      '2025-01-17T11:39:29.000Z',
    );
    expect(iso(parseSourceTimestamp(' 2025-06-17 11:39:29 ', 'UTC'))).toBe('2025-06-17T11:39:29.000Z');
  });

  it('handles the London DST edges: a skipped hour moves forward, a repeated hour takes the first', () => {
    // 2025-03-30 01:00 GMT clocks jump to 02:00 BST: 01:30 does not exist.
    expect(iso(parseSourceTimestamp('2025-03-30 01:30:00', 'Europe/London'))).toBe(
      '2025-03-30T01:30:00.000Z',
    );
    expect(iso(parseSourceTimestamp('2025-03-30 00:59:59', 'Europe/London'))).toBe(
      '2025-03-30T00:59:59.000Z',
    );
    expect(iso(parseSourceTimestamp('2025-03-30 02:00:00', 'Europe/London'))).toBe(
      '2025-03-30T01:00:00.000Z',
    );
    // 2025-10-26 02:00 BST clocks go back to 01:00 GMT: 01:30 happens twice; the first is 00:30Z.
    expect(iso(parseSourceTimestamp('2025-10-26 01:30:00', 'Europe/London'))).toBe(
      '2025-10-26T00:30:00.000Z',
    );
    expect(iso(parseSourceTimestamp('2025-10-26 02:30:00', 'Europe/London'))).toBe(
      '2025-10-26T02:30:00.000Z',
    );
  });

  it('works for zones east of UTC and with half-hour offsets', () => {
    expect(iso(parseSourceTimestamp('2025-06-17 12:00:00', 'Asia/Kolkata'))).toBe('2025-06-17T06:30:00.000Z');
    expect(iso(parseSourceTimestamp('2025-06-17 12:00:00', 'America/New_York'))).toBe(
      '2025-06-17T16:00:00.000Z',
    );
  });

  it('rejects what is not a calendar date and time', () => {
    for (const bad of [
      '',
      'yesterday',
      '2025-13-01 00:00:00',
      '2025-02-29 00:00:00',
      '2025-06-31T00:00:00Z',
      '2025-06-17 24:00:00',
      1718000000,
      null,
    ]) {
      expect(parseSourceTimestamp(bad, 'UTC')).toBeUndefined();
    }
    expect(iso(parseSourceTimestamp('2024-02-29 00:00:00', 'UTC'))).toBe('2024-02-29T00:00:00.000Z');
  });
});

describe('zone helpers', () => {
  it('knows offsets and valid zones', () => {
    expect(zoneOffsetMs('Europe/London', Date.UTC(2025, 5, 1))).toBe(3_600_000);
    expect(zoneOffsetMs('Europe/London', Date.UTC(2025, 0, 1))).toBe(0);
    expect(isValidTimeZone('Europe/London')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(zonedLocalToUtcMs(Date.UTC(2025, 0, 1, 12), 'UTC')).toBe(Date.UTC(2025, 0, 1, 12));
  });
});

describe('localMidnight', () => {
  const at = (zone: string, isoTime: string, dir: 'floor' | 'ceil') => {
    const d = localMidnight(zone, Date.parse(isoTime), dir);
    return d && { date: d.date, start: new Date(d.startMs).toISOString() };
  };

  it('finds the local midnight before and after an instant, across London DST', () => {
    expect(at('Europe/London', '2026-03-29T12:00:00Z', 'floor')).toEqual({
      date: '2026-03-29',
      start: '2026-03-29T00:00:00.000Z',
    });
    expect(at('Europe/London', '2026-03-29T12:00:00Z', 'ceil')).toEqual({
      date: '2026-03-30',
      start: '2026-03-29T23:00:00.000Z',
    });
    expect(at('Europe/London', '2026-10-25T23:30:00Z', 'floor')).toEqual({
      date: '2026-10-25',
      start: '2026-10-24T23:00:00.000Z',
    });
  });

  it('returns the instant itself when it is a midnight, and handles zones east and half-hour', () => {
    expect(at('UTC', '2026-01-01T00:00:00Z', 'ceil')).toEqual({
      date: '2026-01-01',
      start: '2026-01-01T00:00:00.000Z',
    });
    expect(at('Pacific/Auckland', '2026-03-01T10:30:00Z', 'ceil')).toEqual({
      date: '2026-03-02',
      start: '2026-03-01T11:00:00.000Z',
    });
    expect(at('Asia/Kolkata', '2026-03-26T00:00:00Z', 'floor')).toEqual({
      date: '2026-03-26',
      start: '2026-03-25T18:30:00.000Z',
    });
  });

  it('has no midnight to give on a day whose 00:00 is skipped by DST', () => {
    // Chile springs forward at 00:00 (2026-09-06 local): that midnight never shows on the clocks.
    expect(localMidnight('America/Santiago', Date.parse('2026-09-06T12:00:00Z'), 'floor')).toBeUndefined();
  });
});

describe('parseDurationMs', () => {
  it('reads 30d, 90m, 2w, 3600s; anything else or zero is undefined', () => {
    expect(parseDurationMs('30d')).toBe(30 * 86_400_000);
    expect(parseDurationMs('90m')).toBe(5_400_000);
    expect(parseDurationMs('2w')).toBe(14 * 86_400_000);
    expect(parseDurationMs(' 3600s ')).toBe(3_600_000);
    expect(parseDurationMs('soon')).toBeUndefined();
    expect(parseDurationMs('0h')).toBeUndefined();
  });
});
