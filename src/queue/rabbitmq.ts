import { setTimeout as sleep } from 'node:timers/promises';
import {
  connect,
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
  type RecoveringChannelModel,
} from 'amqplib';
import { AppError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { backoffMs, classifyFailure } from './errors.ts';
import {
  MAX_BATCH_READINGS,
  type BatchHandler,
  type QueueStats,
  type ReadingBatch,
  type ReadingQueue,
} from './types.ts';
import { decodeBatch, encodeBatch } from './wire.ts';

export interface RabbitQueueOptions {
  url: string;
  /** Prefix for the exchange and queue names, so tests and tenants can have their own. */
  prefix?: string;
  /** Unacknowledged batch messages the broker sends this consumer at most. */
  prefetch?: number;
  /** Batches written at the same time. */
  concurrency?: number;
  /** Deliveries of one message before the quorum queue dead-letters it. */
  deliveryLimit?: number;
  /** How long publish keeps retrying (e.g. while the broker restarts) before failing the run. */
  publishTimeoutMs?: number;
  log: Logger;
}

export interface TopologyNames {
  exchange: string;
  queue: string;
  deadLetterExchange: string;
  deadLetterQueue: string;
}

/** Durable topic exchange → quorum queue (bound `temperature.#`) → dead-letter exchange → dead-letter queue. */
export const topologyNames = (prefix = ''): TopologyNames => ({
  exchange: `${prefix}temperature_data`,
  queue: `${prefix}temperature_readings`,
  deadLetterExchange: `${prefix}temperature_readings.dlx`,
  deadLetterQueue: `${prefix}temperature_readings.dlq`,
});

export const routingKeyOf = (batch: Pick<ReadingBatch, 'customerId'>): string =>
  `temperature.${batch.customerId}`;

/** Declares the topology (idempotent). */
export const assertTopology = async (
  ch: Channel,
  names: TopologyNames,
  deliveryLimit: number,
): Promise<void> => {
  await ch.assertExchange(names.exchange, 'topic', { durable: true });
  await ch.assertExchange(names.deadLetterExchange, 'fanout', { durable: true });
  await ch.assertQueue(names.deadLetterQueue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await ch.bindQueue(names.deadLetterQueue, names.deadLetterExchange, '');
  await ch.assertQueue(names.queue, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-delivery-limit': deliveryLimit,
      'x-dead-letter-exchange': names.deadLetterExchange,
    },
  });
  await ch.bindQueue(names.queue, names.exchange, 'temperature.#');
};

/**
 * Parses and checks a message body.
 * @throws PoisonMessageError when it is not a reading batch.
 */
export const parseBatchMessage = (content: Buffer): ReadingBatch => decodeBatch(content);

interface ChannelPair {
  pub: ConfirmChannel;
  con: Channel;
  open: boolean;
  consumerTag?: string;
}

export interface RabbitReadingQueue extends ReadingQueue {
  readonly names: TopologyNames;
  /** Messages ready in the main queue and in the dead-letter queue (broker's view). */
  depths(): Promise<{ ready: number; deadLetters: number }>;
}

/**
 * The RabbitMQ adapter. Reconnects by itself (amqplib recovery): channels, topology and the consumer
 * are re-created after every reconnect, publishes wait for the connection and retry until confirmed.
 * A message is acked only after the handler committed. A transient handler failure (database away)
 * keeps the message and retries with backoff, so an outage never burns redeliveries of good data;
 * a poison message is rejected to the dead-letter queue at once; anything else is requeued and the
 * quorum queue's delivery limit dead-letters it eventually.
 * @throws AppError UPSTREAM_UNAVAILABLE when the broker cannot be reached at start.
 */
export const createRabbitQueue = async (opts: RabbitQueueOptions): Promise<RabbitReadingQueue> => {
  const names = topologyNames(opts.prefix);
  const log = opts.log;
  const prefetch = opts.prefetch ?? 16;
  const concurrency = opts.concurrency ?? 4;
  const deliveryLimit = opts.deliveryLimit ?? 10;
  const publishTimeoutMs = opts.publishTimeoutMs ?? 60_000;
  let pair: ChannelPair | undefined;
  let model: ChannelModel | undefined;
  let connected = false;
  let closing = false;
  let handler: BatchHandler | undefined;
  let inFlight = 0;
  let delivered = 0;
  let deadLettered = 0;
  let active = 0;
  const slotWaiters: (() => void)[] = [];
  const pairWaiters: (() => void)[] = [];
  let reopenTimer: NodeJS.Timeout | undefined;

  const safely = (fn: () => void) => {
    try {
      fn();
    } catch {
      // The channel closed under us; the broker redelivers the message.
    }
  };

  const onMessage = async (p: ChannelPair, msg: ConsumeMessage): Promise<void> => {
    let batch: ReadingBatch;
    try {
      batch = parseBatchMessage(msg.content);
    } catch (e) {
      deadLettered++;
      log.error({ err: e, messageId: msg.properties.messageId }, 'poison message dead-lettered');
      safely(() => p.con.reject(msg, false));
      return;
    }
    while (active >= concurrency) await new Promise<void>((r) => slotWaiters.push(r));
    active++;
    inFlight++;
    try {
      for (let attempt = 1; p.open; attempt++) {
        try {
          await handler!(batch);
          safely(() => p.con.ack(msg));
          delivered++;
          return;
        } catch (e) {
          const kind = classifyFailure(e);
          if (kind === 'poison') {
            deadLettered++;
            log.error({ err: e, batchId: batch.batchId }, 'batch cannot be stored; dead-lettered');
            safely(() => p.con.reject(msg, false));
            return;
          }
          if (kind === 'retry') {
            log.warn({ err: e, batchId: batch.batchId }, 'batch write failed; requeued');
            await sleep(500);
            safely(() => p.con.nack(msg, false, true));
            return;
          }
          if (attempt === 1 || attempt % 20 === 0)
            log.warn(
              { err: e, batchId: batch.batchId, attempt },
              'database unavailable; holding the batch and retrying',
            );
          await sleep(backoffMs(attempt));
          if (closing) return;
        }
      }
    } finally {
      active--;
      inFlight--;
      slotWaiters.shift()?.();
    }
  };

  const startConsuming = async (p: ChannelPair): Promise<void> => {
    const { consumerTag } = await p.con.consume(
      names.queue,
      (msg) => {
        if (msg) void onMessage(p, msg);
      },
      { noAck: false },
    );
    p.consumerTag = consumerTag;
  };

  const openChannels = async (m: ChannelModel): Promise<void> => {
    model = m;
    const pub = await m.createConfirmChannel();
    const con = await m.createChannel();
    const p: ChannelPair = { pub, con, open: true };
    const lost = () => {
      if (!p.open) return;
      p.open = false;
      if (pair === p) pair = undefined;
      safely(() => void pub.close().catch(() => undefined));
      safely(() => void con.close().catch(() => undefined));
      // A channel-level error with the connection still up: recovery will not run, so reopen here.
      if (!closing && !reopenTimer)
        reopenTimer = setTimeout(() => {
          reopenTimer = undefined;
          if (connected && !pair && !closing && model === m)
            openChannels(m).catch((err: unknown) => log.error({ err }, 'reopening RabbitMQ channels failed'));
        }, 1_000);
    };
    for (const ch of [pub, con]) {
      ch.on('error', (err: Error) => log.warn({ err }, 'RabbitMQ channel error'));
      ch.on('close', lost);
    }
    await assertTopology(pub, names, deliveryLimit);
    await con.prefetch(prefetch);
    if (handler) await startConsuming(p);
    pair = p;
    while (pairWaiters.length) pairWaiters.shift()!();
  };

  let conn: RecoveringChannelModel;
  try {
    conn = await connect(opts.url, {
      recovery: {
        initialDelay: 200,
        maxDelay: 5_000,
        initialMaxRetries: 3,
        setup: async (m: ChannelModel) => {
          connected = true;
          await openChannels(m);
        },
      },
    });
  } catch (e) {
    const u = new URL(opts.url);
    throw new AppError(
      'UPSTREAM_UNAVAILABLE',
      `Cannot connect to RabbitMQ at ${u.hostname}:${u.port || '5672'}${u.pathname}: ${(e as Error).message}`,
    );
  }
  conn.on('disconnect', (err: Error) => {
    connected = false;
    if (!closing) log.warn({ err: err?.message }, 'RabbitMQ connection lost; reconnecting');
  });
  conn.on('connect', () => log.info('RabbitMQ connected'));
  conn.on('error', (err: Error) => log.warn({ err }, 'RabbitMQ connection error'));

  const waitForPair = async (deadline: number): Promise<ChannelPair> => {
    while (!pair || !pair.open) {
      if (closing) throw new AppError('UPSTREAM_UNAVAILABLE', 'RabbitMQ queue is closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new AppError('UPSTREAM_UNAVAILABLE', 'RabbitMQ unavailable: publish timed out');
      await Promise.race([new Promise<void>((r) => pairWaiters.push(r)), sleep(Math.min(left, 1_000))]);
    }
    return pair;
  };

  const publishOnce = (p: ChannelPair, body: Buffer, batch: ReadingBatch): Promise<void> =>
    new Promise((resolve, reject) => {
      try {
        p.pub.publish(
          names.exchange,
          routingKeyOf(batch),
          body,
          { persistent: true, contentType: 'application/json', messageId: batch.batchId },
          (err: unknown) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()),
        );
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });

  return {
    kind: 'rabbitmq',
    maxBatchReadings: MAX_BATCH_READINGS,
    names,
    publish: async (batch) => {
      const body = encodeBatch(batch);
      const deadline = Date.now() + publishTimeoutMs;
      for (let attempt = 1; ; attempt++) {
        const p = await waitForPair(deadline);
        try {
          await publishOnce(p, body, batch);
          return;
        } catch (e) {
          if (Date.now() > deadline || closing)
            throw new AppError(
              'UPSTREAM_UNAVAILABLE',
              `RabbitMQ did not confirm batch: ${(e as Error).message}`,
            );
          await sleep(backoffMs(attempt, 2_000));
        }
      }
    },
    consume: async (h) => {
      handler = h;
      if (pair?.open && !pair.consumerTag) await startConsuming(pair);
    },
    stats: (): QueueStats => ({
      pending: inFlight,
      delivered,
      deadLettered,
      connected: connected && !!pair?.open,
    }),
    depths: async () => {
      const p = await waitForPair(Date.now() + 10_000);
      const [main, dlq] = [
        await p.pub.checkQueue(names.queue),
        await p.pub.checkQueue(names.deadLetterQueue),
      ];
      return { ready: main.messageCount, deadLetters: dlq.messageCount };
    },
    close: async () => {
      closing = true;
      if (reopenTimer) clearTimeout(reopenTimer);
      const p = pair;
      if (p?.open && p.consumerTag) await p.con.cancel(p.consumerTag).catch(() => undefined);
      const until = Date.now() + 10_000;
      while (inFlight > 0 && Date.now() < until) await sleep(50);
      await conn.close().catch(() => undefined);
    },
  };
};
