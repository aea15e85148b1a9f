import { describe, expect, it } from 'vitest';
import type { AlarmMessageRow } from '../db/notification-repo.ts';
import { alarmLink, renderAlarmMessage, renderTestMessage, zonedText } from './messages.ts';

const alarm = (over: Partial<AlarmMessageRow> = {}): AlarmMessageRow => ({
  id: '11111111-2222-4333-8444-555555555555',
  kind: 'high',
  severity: 'critical',
  state: 'active',
  rule_snapshot: {},
  threshold_c: 8,
  peak_c: 10,
  started_at: new Date('2026-03-29T00:30:00Z'),
  confirmed_at: new Date('2026-03-29T00:45:00Z'),
  detected_at: new Date('2026-03-29T00:46:00Z'),
  late: false,
  cleared_at: null,
  acknowledged_at: null,
  acknowledged_by: null,
  comment: null,
  customer_name: 'Pharmacy One',
  customer_code: 'P1',
  timezone: 'Europe/London',
  facility_name: 'Main Store',
  facility_code: 'F1',
  unit_name: 'Vaccine Fridge',
  unit_code: 'U1',
  temperature_unit: 'C',
  latest_c: 9,
  latest_at: new Date('2026-03-29T01:30:00Z'),
  ...over,
});

const opts = {
  event: 'started' as const,
  publicUrl: 'https://tms.example.com',
  idempotencyKey: 'k',
  now: new Date('2026-03-29T02:00:00Z'),
  channel: { id: 'c', name: 'QA' },
};

describe('alarm messages', () => {
  it('gives times in the customer zone across a DST change, and in UTC', () => {
    // London moves from GMT to BST at 01:00 UTC on 2026-03-29.
    expect(zonedText(new Date('2026-03-29T00:30:00Z'), 'Europe/London')).toBe(
      '2026-03-29 00:30:00 GMT (Europe/London)',
    );
    expect(zonedText(new Date('2026-03-29T01:30:00Z'), 'Europe/London')).toBe(
      '2026-03-29 02:30:00 BST (Europe/London)',
    );
    expect(zonedText(new Date('2026-03-29T01:30:00Z'), 'Not/AZone')).toBe('2026-03-29 01:30:00 UTC');
  });

  it('names customer, facility and unit, values in the unit’s own °F, and links to the alarm page', () => {
    const m = renderAlarmMessage(alarm({ temperature_unit: 'F' }), opts);
    expect(m.subject).toBe('[CRITICAL] High temperature: Vaccine Fridge (U1) at Main Store (F1)');
    for (const s of [
      'Pharmacy One (P1)',
      'Main Store (F1)',
      'Vaccine Fridge (U1)',
      '46.4 °F',
      '50.0 °F',
      '48.2 °F',
    ])
      expect(m.text).toContain(s);
    expect(m.text).toContain(alarmLink(opts.publicUrl, alarm().id));
    expect(m.html).toContain(`href="https://tms.example.com/#/alarms/${alarm().id}"`);
    expect(m.payload.alarm).toMatchObject({ threshold: 46.4, peak: 50, latest: 48.2, temperature_unit: 'F' });
  });

  it('says when an alarm was detected late, and escapes HTML', () => {
    const m = renderAlarmMessage(alarm({ late: true, unit_name: '<b>Fridge</b>' }), {
      ...opts,
      event: 'escalated',
    });
    expect(m.subject).toMatch(/^ESCALATED: /);
    expect(m.text).toMatch(/Detected late: +2026-03-29 00:46:00 GMT/);
    expect(m.html).toContain('&lt;b&gt;Fridge&lt;/b&gt;');
    expect(m.html).not.toContain('<b>Fridge</b>');
  });

  it('describes a source_down alarm of a whole customer', () => {
    const m = renderAlarmMessage(
      alarm({
        kind: 'source_down',
        threshold_c: null,
        peak_c: null,
        facility_name: null,
        facility_code: null,
        unit_name: null,
        unit_code: null,
        temperature_unit: null,
        latest_c: null,
        latest_at: null,
      }),
      opts,
    );
    expect(m.subject).toBe('[CRITICAL] Data source down: all units of Pharmacy One (P1)');
    expect(m.payload.unit).toBeNull();
  });

  it('renders a test message that says it is one', () => {
    const m = renderTestMessage(
      { customer_name: 'Pharmacy One', customer_code: 'P1', timezone: 'UTC' },
      opts,
    );
    expect(m.subject).toBe('[TEST] tms test notification for Pharmacy One (P1)');
    expect(m.payload).toMatchObject({ event: 'test', alarm: null });
  });
});
