import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PoisonMessageError } from '../../src/queue/errors.ts';
import { createInProcessQueue } from '../../src/queue/in-process.ts';
import { createRabbitQueue, parseBatchMessage, type RabbitReadingQueue } from '../../src/queue/rabbitmq.ts';
import type { ReadingBatch } from '../../src/queue/types.ts';
import { encodeBatch } from '../../src/queue/wire.ts';
import type { Reading } from '../../src/domain/reading.ts';
import { waitUntil } from '../support/wait.ts';
import {
  deleteTopology,
  publishRaw,
  RABBITMQ_URL,
  rabbitUnavailable,
  testQueuePrefix,
} from '../support/rabbitmq.ts';

const log = pino({ level: 'silent' });

const reading = (k: number): Reading => ({
  storageUnitId: '00000000-0000-4000-8000-000000000001',
  facilityId: '00000000-0000-4000-8000-000000000002',
  recordedAtMs: 1_700_000_000_000 + k * 1000,
  temperatureC: -18 + k / 100,
  sourceValue: -18 + k / 100,
  sourceUnit: 'C',
  sensorId: null,
  qualityScore: 0.9,
  equipmentStatus: 'normal',
});
const batchOf = (n: number): ReadingBatch => ({
  batchId: randomUUID(),
  ingestionLogId: null,
  customerId: '00000000-0000-4000-8000-000000000003',
  readings: Array.from({ length: n }, (_, k) => reading(k)),
});
const connectionLost = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

const waitFor = (cond: () => boolean | Promise<boolean>, timeoutMs?: number) =>
  waitUntil('the queue condition', cond, timeoutMs);

describe('in-process queue', () => {
  it('applies back-pressure: publish waits while the queue is full', async () => {
    const q = createInProcessQueue({ log, maxReadings: 100 });
    await q.publish(batchOf(60));
    let second = false;
    const p = q.publish(batchOf(60)).then(() => (second = true));
    await sleep(50);
    expect(second).toBe(false);
    const seen: string[] = [];
    await q.consume(async (b) => void seen.push(b.batchId));
    await p;
    await waitFor(() => seen.length === 2);
    await q.close();
  });

  it('retries a transient failure until it succeeds and drops a poison batch', async () => {
    const q = createInProcessQueue({ log });
    let calls = 0;
    const stored: string[] = [];
    const poison = batchOf(1);
    await q.consume(async (b) => {
      if (b.batchId === poison.batchId) throw new PoisonMessageError('bad');
      if (++calls <= 3) throw connectionLost();
      stored.push(b.batchId);
    });
    const good = batchOf(5);
    await q.publish(poison);
    await q.publish(good);
    await waitFor(() => stored.length === 1);
    expect(stored).toEqual([good.batchId]);
    expect(q.stats()).toMatchObject({ delivered: 1, deadLettered: 1, pending: 0 });
    await q.close();
  });
});

describe('reading batch messages', () => {
  it('rejects what is not a reading batch as poison', () => {
    const b = batchOf(2);
    b.readings[1] = {
      ...b.readings[1]!,
      temperatureC: null,
      sourceValue: null,
      equipmentStatus: 'failure',
      sensorId: 's1',
    };
    b.readings[0] = { ...b.readings[0]!, sourceUnit: 'F', sourceValue: 0, temperatureC: (0 - 32) / 1.8 };
    expect(parseBatchMessage(encodeBatch(b))).toEqual(b);
    expect(encodeBatch(batchOf(500)).length).toBeLessThan(JSON.stringify(batchOf(500)).length / 3);
    expect(() => parseBatchMessage(Buffer.from('{not json'))).toThrow(PoisonMessageError);
    expect(() => parseBatchMessage(Buffer.from('{"batchId":"x"}'))).toThrow(PoisonMessageError);
    const bad = JSON.parse(encodeBatch(batchOf(1)).toString());
    bad.r[0][3] = 'K';
    expect(() => parseBatchMessage(Buffer.from(JSON.stringify(bad)))).toThrow(PoisonMessageError);
    bad.r[0][3] = 'C';
    bad.r[0][0] = 7;
    expect(() => parseBatchMessage(Buffer.from(JSON.stringify(bad)))).toThrow(PoisonMessageError);
  });
});

describe('RabbitMQ queue', async () => {
  const why = await rabbitUnavailable();
  const prefix = testQueuePrefix();
  let q: RabbitReadingQueue;

  beforeAll(async () => {
    if (why) return;
    q = await createRabbitQueue({ url: RABBITMQ_URL, prefix, log, prefetch: 8, deliveryLimit: 3 });
  });
  afterAll(async () => {
    if (why) return;
    await q?.close();
    await deleteTopology(prefix);
  });

  it.skipIf(why)(
    'declares durable topology, delivers confirmed batches and acks only after the handler',
    async () => {
      const received: ReadingBatch[] = [];
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      await q.consume(async (b) => {
        if (b.readings.length === 7) await gate;
        received.push(b);
      });
      const batches = [batchOf(7), batchOf(500), batchOf(3)];
      await Promise.all(batches.map((b) => q.publish(b)));
      await waitFor(() => received.length === 2);
      // The held batch is unacknowledged: the broker still has it (unacked, not ready) and it is not lost.
      expect(q.stats().pending).toBe(1);
      release();
      await waitFor(() => received.length === 3);
      expect(received.map((b) => b.batchId).sort()).toEqual(batches.map((b) => b.batchId).sort());
      expect(received.find((b) => b.readings.length === 500)!.readings[499]).toEqual(reading(499));
      await waitFor(async () => (await q.depths()).ready === 0);
    },
  );

  it.skipIf(why)(
    'holds a batch through a transient outage longer than the delivery limit, without dead-lettering it',
    async () => {
      const before = (await q.depths()).deadLetters;
      const b = batchOf(2);
      let failures = 0;
      const done: string[] = [];
      await q.consume(async (x) => {
        if (x.batchId === b.batchId && failures++ < 6) throw connectionLost();
        done.push(x.batchId);
      });
      await q.publish(b);
      await waitFor(() => done.includes(b.batchId), 30_000);
      expect(failures).toBe(7);
      expect((await q.depths()).deadLetters).toBe(before);
    },
  );

  it.skipIf(why)('dead-letters a poison message and keeps delivering good ones', async () => {
    const before = (await q.depths()).deadLetters;
    await publishRaw(prefix, Buffer.from('this is not a batch'));
    const good = batchOf(4);
    await q.publish(good);
    await waitFor(async () => (await q.depths()).deadLetters === before + 1);
    expect(q.stats().deadLettered).toBeGreaterThanOrEqual(1);
  });
});
