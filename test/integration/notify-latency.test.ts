import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNotifier, type Notifier } from '../../src/alarms/notifier.ts';
import { startAlarmWorker, type AlarmWorker } from '../../src/alarms/worker.ts';
import { saveUnitRules } from '../../src/db/alarm-rules-repo.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { backendCases, createPostgresDatabase, type TestDatabase } from '../support/databases.ts';
import { insertReadings, seedDefaultFleet, unitsOf } from '../support/factories.ts';
import { startSmtpServer, type SmtpTestServer } from '../support/notify-servers.ts';
import { waitUntil } from '../support/wait.ts';

// From a reading's commit to the SMTP server accepting the alarm's mail, through the real evaluator
// and notifier (woken as the ingest role wakes the evaluator after a batch). The target is a
// p99 under 2 s with a zero-delay rule (measured by the benchmark); this test reports the figures
// and fails only far beyond them, since the machine it runs on is shared.

const pg = backendCases().some((c) => c.backend === 'postgres');
const SAMPLES = 20;

describe.skipIf(!pg)('reading commit → alarm e-mail accepted [postgres]', () => {
  let t: TestDatabase;
  let smtp: SmtpTestServer;
  let worker: AlarmWorker;
  let notifier: Notifier;

  beforeAll(async () => {
    t = await createPostgresDatabase();
    await seedDefaultFleet(t.db);
    smtp = await startSmtpServer();
  });
  afterAll(async () => {
    await worker?.stop();
    await notifier?.stop();
    await smtp?.close();
    await t?.drop();
  });

  it(`delivers each of ${SAMPLES} alarm starts within seconds of the commit`, async () => {
    const log = createLogger('silent', false);
    const [unit] = await unitsOf(t.db, 'D');
    await saveUnitRules(t.db, unit!.id, [
      {
        id: 'hot',
        kind: 'high',
        severity: 'critical',
        threshold_c: 30,
        delay_seconds: 0,
        deadband_c: 0,
        clear_delay_seconds: 0,
        enabled: true,
      },
    ]);
    await t.db.query(
      `INSERT INTO notification_channels (customer_id, type, target) VALUES ($1, 'email', 'qa@pharmacy.test')`,
      [unit!.customer_id],
    );
    worker = startAlarmWorker({ db: t.db, clock: systemClock, log });
    notifier = startNotifier({
      db: t.db,
      clock: systemClock,
      log,
      settings: { smtpUrl: smtp.url, mailFrom: 'alarms@tms.test', publicUrl: 'http://tms.test' },
    });
    const starts = () => smtp.mails.filter((m) => !m.headers.subject?.startsWith('CLEARED')).length;
    const latencies: number[] = [];
    const base = Date.now() - 60 * 60_000;
    for (let i = 0; i < SAMPLES; i++) {
      // One excursion per sample: a reading beyond 30 °C starts the alarm, the next one ends it.
      const at = (k: number) => new Date(base + (2 * i + k) * 60_000);
      await insertReadings(t.db, [{ unit: unit!, at: at(0), c: 35 }]);
      const committedMs = Date.now();
      worker.wake();
      await waitUntil(`alarm mail ${i + 1}`, () => starts() === i + 1, 15_000, 5);
      latencies.push(
        smtp.mails.filter((m) => !m.headers.subject?.startsWith('CLEARED'))[i]!.acceptedAtMs - committedMs,
      );
      await insertReadings(t.db, [{ unit: unit!, at: at(1), c: 4 }]);
      worker.wake();
      await waitUntil(`alarm ${i + 1} cleared`, async () => {
        const [r] = await t.db.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM alarms WHERE storage_unit_id = $1 AND cleared_at IS NULL',
          [unit!.id],
        );
        return r!.n === 0;
      });
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
    console.log(
      `[notify latency] commit → SMTP accept over ${SAMPLES} alarms: p50 ${q(0.5)} ms, p90 ${q(0.9)} ms, max ${sorted.at(-1)} ms`,
    );
    expect(q(0.5)).toBeLessThan(2_000);
    expect(sorted.at(-1)).toBeLessThan(8_000);
  }, 240_000);
});
