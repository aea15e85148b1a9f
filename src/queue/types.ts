import type { Reading } from '../domain/reading.ts';

/** One queue message: up to the queue's maxBatchReadings readings of one customer from one run. */
export interface ReadingBatch {
  /** Unique per batch: a redelivered batch is recognised by it and stored/counted once. */
  batchId: string;
  /** The run (ingestion_logs row) the readings belong to; null for ad-hoc writes. */
  ingestionLogId: string | null;
  customerId: string;
  readings: Reading[];
}

export const MAX_BATCH_READINGS = 500;

/** Stores one batch; resolves once it is committed. Throws to have it retried or dead-lettered. */
export type BatchHandler = (batch: ReadingBatch) => Promise<void>;

export interface QueueStats {
  /** Batches published and not yet acknowledged (in-process: exact; RabbitMQ: this process's in-flight). */
  pending: number;
  delivered: number;
  deadLettered: number;
  /** Whether the broker connection is up (always true in-process). */
  connected: boolean;
}

/**
 * The queue between collection and storage (architecture §3). publish resolves when the batch is
 * safe: accepted into memory (in-process, bounded, waits when full) or confirmed by the broker
 * (RabbitMQ, persisted). Delivery is at least once; a batch is acknowledged only after its handler
 * committed, retried while the failure is transient, and dead-lettered when it is poison.
 */
export interface ReadingQueue {
  readonly kind: 'in-process' | 'rabbitmq';
  /** Largest batch to publish: 500 for RabbitMQ messages; larger in-process (fewer, bigger transactions). */
  readonly maxBatchReadings: number;
  publish(batch: ReadingBatch): Promise<void>;
  /** Starts delivering batches to the handler (one consumer per queue object). */
  consume(handler: BatchHandler): Promise<void>;
  stats(): QueueStats;
  /** Stops consuming, waits for in-flight handlers, closes connections. Unconsumed batches stay queued (RabbitMQ) or are lost (in-process). */
  close(): Promise<void>;
}

/** Splits a run's readings into batches of at most MAX_BATCH_READINGS. */
export const splitIntoBatches = <T>(items: readonly T[], size = MAX_BATCH_READINGS): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};
