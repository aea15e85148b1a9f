import { randomBytes } from 'node:crypto';
import { connect } from 'amqplib';
import { topologyNames } from '../../src/queue/rabbitmq.ts';

export const RABBITMQ_URL = process.env.TMS_TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

let checked: Promise<string | null> | undefined;

/**
 * Null when the test broker answers, else why not. Under CI=true an unreachable broker is an error,
 * not a skip (like PostgreSQL in global setup).
 */
export const rabbitUnavailable = (): Promise<string | null> =>
  (checked ??= (async () => {
    try {
      const c = await connect(RABBITMQ_URL);
      await c.close();
      return null;
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      if (process.env.CI === 'true')
        throw new Error(`RabbitMQ at ${RABBITMQ_URL} is required under CI=true (${why})`);
      console.warn(
        `\n[tms tests] RabbitMQ at ${RABBITMQ_URL} unreachable (${why}): RabbitMQ tests are SKIPPED.\n`,
      );
      return why;
    }
  })());

/** A queue-name prefix of its own, so a test never touches another test's (or production's) queues. */
export const testQueuePrefix = (): string => `tms_test_${randomBytes(4).toString('hex')}.`;

/** Deletes a prefix's exchanges and queues. */
export const deleteTopology = async (prefix: string): Promise<void> => {
  const n = topologyNames(prefix);
  const c = await connect(RABBITMQ_URL);
  try {
    const ch = await c.createChannel();
    await ch.deleteQueue(n.queue);
    await ch.deleteQueue(n.deadLetterQueue);
    await ch.deleteExchange(n.exchange);
    await ch.deleteExchange(n.deadLetterExchange);
  } finally {
    await c.close().catch(() => undefined);
  }
};

/** Publishes raw bytes to a prefix's exchange (for poison-message tests). */
export const publishRaw = async (
  prefix: string,
  body: Buffer,
  routingKey = 'temperature.poison',
): Promise<void> => {
  const c = await connect(RABBITMQ_URL);
  try {
    const ch = await c.createConfirmChannel();
    ch.publish(topologyNames(prefix).exchange, routingKey, body, { persistent: true });
    await ch.waitForConfirms();
  } finally {
    await c.close().catch(() => undefined);
  }
};
