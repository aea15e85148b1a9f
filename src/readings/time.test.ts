import { describe, expect, it } from 'vitest';
import { checkTimeZone, isIsoInstant, parseInstant, wholeHourZone } from './time.ts';

describe('request instants', () => {
  it('reads dates and date-times, naive ones as UTC', () => {
    expect(parseInstant('2025-06-17', 'start_date')?.toISOString()).toBe('2025-06-17T00:00:00.000Z');
    expect(parseInstant('2025-06-17T10:15', 'start_date')?.toISOString()).toBe('2025-06-17T10:15:00.000Z');
    expect(parseInstant('2025-06-17 10:15:30.123456', 'x')?.toISOString()).toBe('2025-06-17T10:15:30.123Z');
    expect(parseInstant('2025-06-17T12:15:30+02:00', 'x')?.toISOString()).toBe('2025-06-17T10:15:30.000Z');
    expect(parseInstant(undefined, 'x')).toBeUndefined();
  });

  it('refuses dates that do not exist instead of rolling them into the next month', () => {
    // JavaScript's Date reads 2025-02-30 as 2 March; the source parser refuses it, and so must requests.
    for (const bad of ['2025-02-30', '2025-02-29T00:00:00Z', '2025-04-31T10:00:00Z', '2025-06-17T24:00:00Z'])
      expect(isIsoInstant(bad), bad).toBe(false);
    expect(isIsoInstant('2024-02-29T00:00:00Z')).toBe(true);
    expect(() => parseInstant('2025-02-30', 'end_date')).toThrow(/end_date is not an ISO 8601 date-time/);
  });

  it('refuses years before 1900 and text that is not ISO 8601', () => {
    expect(isIsoInstant('1899-12-31T23:59:59Z')).toBe(false);
    expect(isIsoInstant('1900-01-01T00:00:00Z')).toBe(true);
    for (const bad of ['yesterday', '17/06/2025', '2025-6-17', '2025-06-17T10:00:00+2', ''])
      expect(isIsoInstant(bad), bad).toBe(false);
  });
});

describe('request zones', () => {
  it('accepts IANA names and names the bad one', () => {
    expect(checkTimeZone('Europe/London')).toBe('Europe/London');
    expect(() => checkTimeZone('Mars/Olympus')).toThrow(/Unknown time zone 'Mars\/Olympus'/);
  });

  it('tells whole-hour zones from :30/:45 ones over a range', () => {
    const start = new Date('2025-01-01T00:00:00Z');
    const end = new Date('2025-12-31T00:00:00Z');
    expect(wholeHourZone('Europe/London', start, end)).toBe(true);
    expect(wholeHourZone('America/New_York', start, end)).toBe(true);
    expect(wholeHourZone('Asia/Kolkata', start, end)).toBe(false);
    expect(wholeHourZone('Asia/Kathmandu', start, end)).toBe(false);
  });
});
