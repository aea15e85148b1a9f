import type { Config } from '../config/config.ts';
import { findCustomerByCode } from '../db/customers-repo.ts';
import { listStoredReadings, type StoredReadingRow } from '../db/readings-repo.ts';
import { getSchedule } from '../db/schedule-repo.ts';
import type { Sql } from '../db/types.ts';
import { toCelsius } from '../domain/units.ts';
import type { Clock } from '../lib/clock.ts';
import { AppError, notFound } from '../lib/errors.ts';
import { loadFleet } from '../simulation/fleet.ts';
import { faultsFromJson, type FaultJson } from '../simulation/formats.ts';
import { customerReadings, type InjectedFault, type SimReading } from '../simulation/reading-generator.ts';
import { fetchSource, readAll } from './fetch-source.ts';

/** Two temperatures match when they differ by at most this (the source rounds to 0.01). */
export const TEMPERATURE_TOLERANCE = 0.01;
const MAX_EXAMPLES = 10;

export interface ReadingDiff {
  unit: string;
  recorded_at: string;
  expected?: number | null;
  stored?: number | null;
  unit_of_measure?: string;
}

export interface Comparison {
  expected: number;
  stored: number;
  matched: number;
  missing: number;
  extra: number;
  mismatched: number;
  examples: { missing: ReadingDiff[]; extra: ReadingDiff[]; mismatched: ReadingDiff[] };
}

const keyOf = (facility: string, unit: string, ms: number) => `${facility}/${unit}|${ms}`;

const sameValue = (e: SimReading, s: StoredReadingRow): boolean => {
  if (e.temperature === null || s.temperature_c === null)
    return e.temperature === null && s.temperature_c === null;
  return (
    s.source_unit === e.temperature_unit &&
    s.source_value !== null &&
    Math.abs(s.source_value - e.temperature) <= TEMPERATURE_TOLERANCE &&
    Math.abs(s.temperature_c - toCelsius(e.temperature, e.temperature_unit)) <= TEMPERATURE_TOLERANCE
  );
};

/** Compares ground truth with stored rows by (facility, unit, instant), value and null-ness. */
export const compareReadings = (
  expected: readonly SimReading[],
  stored: readonly StoredReadingRow[],
): Comparison => {
  const want = new Map<string, SimReading>();
  for (const e of expected) want.set(keyOf(e.facility_id, e.unit_id, Date.parse(e.timestamp)), e);
  const c: Comparison = {
    expected: expected.length,
    stored: stored.length,
    matched: 0,
    missing: 0,
    extra: 0,
    mismatched: 0,
    examples: { missing: [], extra: [], mismatched: [] },
  };
  const seen = new Set<string>();
  for (const s of stored) {
    const at = new Date(s.recorded_at);
    const key = keyOf(s.facility_code, s.unit_code, at.getTime());
    const e = want.get(key);
    if (!e || seen.has(key)) {
      c.extra++;
      if (c.examples.extra.length < MAX_EXAMPLES)
        c.examples.extra.push({
          unit: `${s.facility_code}/${s.unit_code}`,
          recorded_at: at.toISOString(),
          stored: s.source_value,
        });
      continue;
    }
    seen.add(key);
    if (sameValue(e, s)) c.matched++;
    else {
      c.mismatched++;
      if (c.examples.mismatched.length < MAX_EXAMPLES)
        c.examples.mismatched.push({
          unit: `${s.facility_code}/${s.unit_code}`,
          recorded_at: at.toISOString(),
          expected: e.temperature,
          stored: s.source_value,
          unit_of_measure: `${e.temperature_unit}/${s.source_unit}`,
        });
    }
  }
  for (const [key, e] of want) {
    if (seen.has(key)) continue;
    c.missing++;
    if (c.examples.missing.length < MAX_EXAMPLES)
      c.examples.missing.push({
        unit: `${e.facility_id}/${e.unit_id}`,
        recorded_at: e.timestamp,
        expected: e.temperature,
      });
  }
  return c;
};

export interface VerifyInput {
  customerCode: string;
  since: Date;
  /** Default: now. The checked window always ends at the customer's high-water mark at the latest. */
  until?: Date;
  /** Injected faults; default: asked from the customer's mock server (GET /simulate/faults). */
  faults?: InjectedFault[];
}

export interface VerifyReport extends Comparison {
  customer: string;
  from: string;
  /** End of the checked window: min(until, last successful collection's high-water mark). */
  to: string;
  high_water_mark: string | null;
  faults: number;
  warnings: string[];
  ok: boolean;
}

/** Limits for the simulator's small fault list; the guarded fetcher refuses metadata addresses too. */
const FAULTS_FETCH_LIMITS = { connectTimeoutMs: 5_000, totalTimeoutMs: 5_000, maxBytes: 1024 * 1024 };

const fetchFaults = async (apiUrl: string): Promise<InjectedFault[]> => {
  const res = await fetchSource(new URL('/simulate/faults', apiUrl).toString(), FAULTS_FETCH_LIMITS);
  return faultsFromJson(JSON.parse((await readAll(res.body)).toString('utf8')) as FaultJson[]);
};

/**
 * Compares what is stored for a simulated customer with the simulator's deterministic timeline over
 * [since, min(until, high-water mark)): every reading the source served up to the last completed
 * collection must be stored exactly once, with the served value.
 * @throws AppError NOT_FOUND for an unknown customer, VALIDATION for one the simulator does not know.
 */
export const verifyCustomer = async (
  ctx: { db: Sql; config: Config; clock: Clock },
  input: VerifyInput,
): Promise<VerifyReport> => {
  const customer = await findCustomerByCode(ctx.db, input.customerCode);
  if (!customer) throw notFound(`Customer '${input.customerCode}'`);
  const fleet = await loadFleet(ctx.config.fleetFile);
  const simulated = fleet.customers.find((c) => c.code === customer.customer_code);
  if (!simulated)
    throw new AppError(
      'VALIDATION',
      `Customer ${customer.customer_code} is not in the simulator's fleet: no ground truth`,
    );
  const warnings: string[] = [];
  let faults = input.faults;
  if (!faults) {
    try {
      faults = customer.api_url ? await fetchFaults(customer.api_url) : [];
    } catch (e) {
      faults = [];
      warnings.push(
        `injected faults unknown (simulator not reachable: ${(e as Error).message}); assuming none`,
      );
    }
  }
  const hwm = (await getSchedule(ctx.db, customer.id))?.high_water_mark ?? null;
  const fromMs = input.since.getTime();
  const untilMs = Math.min((input.until ?? ctx.clock.now()).getTime(), hwm ? hwm.getTime() : fromMs);
  const toMs = Math.max(fromMs, untilMs);
  if (!hwm) warnings.push('no successful collection yet: nothing to compare');
  const expected = customerReadings({ seed: ctx.config.simSeed, customer: simulated, fromMs, toMs, faults });
  const stored = await listStoredReadings(ctx.db, customer.id, new Date(fromMs), new Date(toMs));
  const cmp = compareReadings(expected, stored);
  return {
    customer: customer.customer_code,
    from: new Date(fromMs).toISOString(),
    to: new Date(toMs).toISOString(),
    high_water_mark: hwm?.toISOString() ?? null,
    faults: faults.length,
    warnings,
    ...cmp,
    ok: cmp.missing === 0 && cmp.extra === 0 && cmp.mismatched === 0,
  };
};
