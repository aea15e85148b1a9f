import { setTimeout as sleep } from 'node:timers/promises';
import { startNotifier } from '../alarms/notifier.ts';
import { startAlarmWorker } from '../alarms/worker.ts';
import { startRetentionJob } from '../admin/retention-job.ts';
import { startReasonSettingRefresh } from '../audit/reason-setting.ts';
import { CodeMapCache } from '../ingestion/code-map.ts';
import { Scheduler } from '../ingestion/scheduler.ts';
import { writeBatch } from '../ingestion/writer.ts';
import { queueDepth, readingsDuplicateTotal, readingsStoredTotal } from '../lib/metrics.ts';
import { openQueue } from '../queue/index.ts';
import { startReportScheduler } from '../reports/schedule-runner.ts';
import type { RoleContext, RoleHandle } from './types.ts';

/**
 * Runs collection (scheduler → collectors → processor → queue) and storage (queue → writer) in this
 * process. Several ingest processes may run against one PostgreSQL and one RabbitMQ.
 */
export const startIngest = async (ctx: RoleContext): Promise<RoleHandle> => {
  const { config, db, log } = ctx;
  // Imports and alarm verbs here may demand a reason: follow the system setting.
  const stopReasonRefresh = await startReasonSettingRefresh(db);
  const queue = await openQueue(config, log, { writerConcurrency: db.backend === 'postgres' ? 4 : 1 });
  const notifier = startNotifier({ db, clock: ctx.clock, log, settings: config.notify });
  // An alarm raised or cleared queued its messages: the notifier delivers them at once.
  const alarms = startAlarmWorker({ db, clock: ctx.clock, log, onAlarms: () => notifier.wake() });
  // Scheduled facility reports, e-mailed through the notifier's SMTP settings (every minute).
  const reportSchedules = startReportScheduler({ db, clock: ctx.clock, log, settings: config.notify });
  await queue.consume(async (batch) => {
    const r = await writeBatch(db, batch);
    // The commit marked the units for evaluation (alarm_pending); evaluate them soon.
    if (r.stored > 0 || r.alreadyApplied) alarms.wake();
    readingsStoredTotal.inc(r.stored);
    readingsDuplicateTotal.inc(r.duplicates);
    const run = r.finalised;
    if (run)
      log.info(
        {
          logId: run.id,
          status: run.status,
          fetched: run.records_processed,
          stored: run.records_succeeded,
          duplicates: run.records_duplicate,
          rejected: run.records_failed,
          durationMs: run.duration_ms,
        },
        'run stored',
      );
  });
  const scheduler = new Scheduler({
    deps: {
      db,
      queue,
      codeMaps: new CodeMapCache(db),
      clock: ctx.clock,
      ingest: config.ingest,
      futureToleranceSeconds: config.futureToleranceSeconds,
    },
    log,
  });
  scheduler.start();
  // Daily: raw readings past their retention go, rollups and the audit trail stay (one worker a day).
  const retention = startRetentionJob({ db, clock: ctx.clock, log: log.child({ job: 'retention' }) });
  ctx.services.queueHealth = async () => (queue.stats().connected ? 'ok' : 'error');
  const depthTimer = setInterval(() => queueDepth.set(queue.stats().pending), 1_000).unref();
  return {
    role: 'ingest',
    banner: [
      `ingest:    collecting active customers (${queue.kind === 'rabbitmq' ? `RabbitMQ queue ${config.ingest.queuePrefix}temperature_readings` : 'in-process queue'}), lease owner ${scheduler.owner}`,
    ],
    stop: async () => {
      stopReasonRefresh();
      clearInterval(depthTimer);
      await retention.stop();
      // Runs blocked on a full queue (database away) must not hold the shutdown: closing the queue
      // fails them, and their windows are fetched again next time.
      await Promise.race([scheduler.stop(), sleep(15_000, undefined, { ref: false })]);
      await queue.close();
      await alarms.stop();
      await reportSchedules.stop();
      await notifier.stop();
    },
  };
};
