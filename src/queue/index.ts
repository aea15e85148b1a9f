import type { Config } from '../config/config.ts';
import type { Logger } from '../lib/logger.ts';
import { createInProcessQueue } from './in-process.ts';
import { createRabbitQueue } from './rabbitmq.ts';
import type { ReadingQueue } from './types.ts';

/** RabbitMQ when RABBITMQ_URL is set, else the bounded in-process queue. */
export const openQueue = async (
  config: Config,
  log: Logger,
  opts: { writerConcurrency?: number } = {},
): Promise<ReadingQueue> =>
  config.rabbitmqUrl
    ? createRabbitQueue({
        url: config.rabbitmqUrl,
        prefix: config.ingest.queuePrefix,
        prefetch: config.ingest.queuePrefetch,
        concurrency: opts.writerConcurrency ?? 4,
        log: log.child({ module: 'rabbitmq' }),
      })
    : createInProcessQueue({ log: log.child({ module: 'queue' }), concurrency: opts.writerConcurrency ?? 1 });
