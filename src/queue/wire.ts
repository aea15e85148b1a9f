import { toCelsius } from '../domain/units.ts';
import type { Reading } from '../domain/reading.ts';
import { PoisonMessageError } from './errors.ts';
import type { ReadingBatch } from './types.ts';

// RabbitMQ message body: JSON with the repeated ids and sensor names in dictionaries and each reading
// as a short array [unit, recordedAtMs, sourceValue, sourceUnit, sensor, quality, failed]. About a
// quarter of the size of plain reading objects: the broker writes every message twice (log and
// segment), so bytes are throughput. temperatureC is recomputed from the source value on decode with
// the same function the processor used, so it is identical.

interface WireBatchV1 {
  v: 1;
  batchId: string;
  ingestionLogId: string | null;
  customerId: string;
  /** [storageUnitId, facilityId] */
  units: [string, string][];
  sensors: (string | null)[];
  r: [number, number, number | null, 'C' | 'F', number, number, 0 | 1][];
}

/** Encodes a batch as a message body. */
export const encodeBatch = (b: ReadingBatch): Buffer => {
  const unitIdx = new Map<string, number>();
  const sensorIdx = new Map<string | null, number>();
  const units: [string, string][] = [];
  const sensors: (string | null)[] = [];
  const r: WireBatchV1['r'] = new Array(b.readings.length);
  for (let i = 0; i < b.readings.length; i++) {
    const x = b.readings[i]!;
    let u = unitIdx.get(x.storageUnitId);
    if (u === undefined) unitIdx.set(x.storageUnitId, (u = units.push([x.storageUnitId, x.facilityId]) - 1));
    let s = sensorIdx.get(x.sensorId);
    if (s === undefined) sensorIdx.set(x.sensorId, (s = sensors.push(x.sensorId) - 1));
    r[i] = [
      u,
      x.recordedAtMs,
      x.sourceValue,
      x.sourceUnit,
      s,
      x.qualityScore,
      x.equipmentStatus === 'failure' ? 1 : 0,
    ];
  }
  const wire: WireBatchV1 = {
    v: 1,
    batchId: b.batchId,
    ingestionLogId: b.ingestionLogId,
    customerId: b.customerId,
    units,
    sensors,
    r,
  };
  return Buffer.from(JSON.stringify(wire));
};

const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/**
 * Decodes and checks a message body.
 * @throws PoisonMessageError when it is not a reading batch.
 */
export const decodeBatch = (content: Buffer): ReadingBatch => {
  let w: WireBatchV1;
  try {
    w = JSON.parse(content.toString('utf8')) as WireBatchV1;
  } catch (e) {
    throw new PoisonMessageError('message is not JSON', { cause: e });
  }
  if (
    !w ||
    w.v !== 1 ||
    !isStr(w.batchId) ||
    !isStr(w.customerId) ||
    (w.ingestionLogId !== null && !isStr(w.ingestionLogId)) ||
    !Array.isArray(w.units) ||
    !Array.isArray(w.sensors) ||
    !Array.isArray(w.r)
  )
    throw new PoisonMessageError('message is not a reading batch');
  const readings: Reading[] = new Array(w.r.length);
  for (let i = 0; i < w.r.length; i++) {
    const row = w.r[i];
    const [u, at, value, unit, s, quality, failed] = Array.isArray(row) ? row : [];
    const ids = w.units[u as number];
    const ok =
      Array.isArray(ids) &&
      isStr(ids[0]) &&
      isStr(ids[1]) &&
      Number.isFinite(at) &&
      (unit === 'C' || unit === 'F') &&
      (value === null ? failed === 1 : Number.isFinite(value) && failed === 0) &&
      Number.isFinite(quality) &&
      (s as number) >= 0 &&
      (s as number) < w.sensors.length;
    if (!ok) throw new PoisonMessageError('message holds a malformed reading');
    readings[i] = {
      storageUnitId: ids[0],
      facilityId: ids[1],
      recordedAtMs: at as number,
      temperatureC: value === null ? null : toCelsius(value as number, unit),
      sourceValue: value as number | null,
      sourceUnit: unit,
      sensorId: w.sensors[s as number] ?? null,
      qualityScore: quality as number,
      equipmentStatus: failed === 1 ? 'failure' : 'normal',
    };
  }
  return { batchId: w.batchId, ingestionLogId: w.ingestionLogId, customerId: w.customerId, readings };
};
