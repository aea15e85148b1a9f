// Reading generator throughput: `npm run bench:sim`. Prints readings/s with the conditions it ran under.
import os from 'node:os';
import { loadFleet } from '../src/simulation/fleet.ts';
import { customerReadings, unitReadings } from '../src/simulation/reading-generator.ts';

const TARGET = 1_000_000;
const DAY_MS = 86_400_000;
const RUNS = 5;
const fleet = await loadFleet();
const units = fleet.customers.flatMap((customer) =>
  customer.facilities.flatMap((facility) => facility.units.map((unit) => ({ customer, facility, unit }))),
);
const startMs = Date.parse('2025-01-01T00:00:00Z');

/** The default fleet, one unit-day at a time (how servers and file writers consume it), until ≥ 1M readings. */
const streamed = (): { readings: number; days: number; checksum: number } => {
  let readings = 0;
  let checksum = 0;
  let day = 0;
  while (readings < TARGET) {
    for (const u of units) {
      const rs = unitReadings({
        seed: 'bench',
        ...u,
        fromMs: startMs + day * DAY_MS,
        toMs: startMs + (day + 1) * DAY_MS,
      });
      readings += rs.length;
      for (const r of rs) checksum += r.temperature ?? 0;
    }
    day++;
  }
  return { readings, days: day, checksum };
};

/** One unit read every 60 s, 1M readings held in one array (worst case: everything kept in memory). */
const materialised = (): { readings: number } => {
  const { customer, facility, unit } = units[0]!;
  const rs = unitReadings({
    seed: 'bench',
    customer,
    facility,
    unit: { ...unit, dataFrequencySeconds: 60 },
    fromMs: startMs,
    toMs: startMs + TARGET * 60_000,
  });
  return { readings: rs.length };
};

/** What a mock server does per request: a customer's 24 h, all units merged and sorted by time. */
const served = (): { readings: number } => {
  let readings = 0;
  for (let day = 0; readings < TARGET; day++) {
    for (const customer of fleet.customers) {
      readings += customerReadings({
        seed: 'bench',
        customer,
        fromMs: startMs + day * DAY_MS,
        toMs: startMs + (day + 1) * DAY_MS,
      }).length;
    }
  }
  return { readings };
};

const measure = (name: string, fn: () => { readings: number }): void => {
  fn(); // warm-up: JIT
  const rates: number[] = [];
  let n = 0;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    n = fn().readings;
    const ms = performance.now() - t0;
    rates.push(n / (ms / 1000));
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(RUNS / 2)]!;
  console.log(
    `${name.padEnd(58)} ${Math.round(median).toLocaleString('en-US').padStart(11)} readings/s  (${n.toLocaleString('en-US')} readings in ${((n / median) * 1000).toFixed(0)} ms, median of ${RUNS})`,
  );
};

const cpus = os.cpus();
console.log(
  `node ${process.version}, ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}), ${os.platform()} ${os.arch()}, one thread`,
);
const cadences = units.map((u) => u.unit.dataFrequencySeconds);
console.log(
  `fleet: built-in, ${fleet.customers.length} customers, ${units.length} units, ` +
    `cadence ${Math.min(...cadences)}–${Math.max(...cadences)} s; seed 'bench'\n`,
);
measure(`streamed: ${units.length} units × unit-day windows`, streamed);
const s = streamed();
console.log(`  (${s.days} days of the whole fleet)`);
measure('served: customer 24 h windows, merged and sorted by time', served);
measure('materialised: 1 unit every 60 s, 1M readings in one array', materialised);
