import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/types.ts';
import {
  beginImport,
  finishImport,
  importChunk,
  readImportFile,
  resolveImportCustomer,
} from '../../src/ingestion/importer.ts';
import { REPO_ROOT } from '../support/cli.ts';
import { describeEachBackend, type TestDatabase } from '../support/databases.ts';
import { seedTestFleet } from '../support/ingest-fixtures.ts';

const fixture = (p: string) => path.join(REPO_ROOT, 'test/fixtures/seed', p);

const importFile = async (db: Db, file: string, opts: { customer?: string; hintExists?: boolean } = {}) => {
  const f = await readImportFile(file);
  const customer = resolveImportCustomer(f, {
    customer: opts.customer,
    nameHintExists: opts.hintExists ?? true,
  });
  const { logId, timezone } = await beginImport(db, { customer, source: file });
  const totals = { stored: 0, duplicates: 0, rejected: 0 };
  for (let i = 0; i < f.rows.length; i += 300) {
    const r = await importChunk(db, {
      logId,
      customer,
      rows: f.rows.slice(i, i + 300),
      firstRow: i + 1,
      timezone,
      nowMs: Date.now(),
      futureToleranceSeconds: 300,
    });
    totals.stored += r.stored;
    totals.duplicates += r.duplicates;
    totals.rejected += r.rejected;
  }
  const log = await finishImport(db, logId, { counts: {}, examples: [] });
  return { f, totals, log };
};

describe('import file detection', () => {
  it('tells the prototype layouts apart by content', async () => {
    expect((await readImportFile(fixture('misc/customer_B_data.csv'))).format).toBe('sim-csv');
    expect((await readImportFile(fixture('csv-generator-format/customer_J_data_file_1.csv'))).format).toBe(
      'generator-csv',
    );
    const json = await readImportFile(fixture('assignment/customer_B_assignment.json'));
    expect(json).toMatchObject({ format: 'json-export', declaredCustomer: 'B' });
    expect(json.rows).toHaveLength(579);
  });

  it("refuses a file holding another customer's rows, with the reason", async () => {
    const f = await readImportFile(fixture('simulator-csv-format/B_download_holding_G_data.csv'));
    expect(f.rowCustomers).toEqual({ G: 869 });
    expect(() => resolveImportCustomer(f, { customer: 'B' })).toThrow(/rows belong to customer G, not B/);
    expect(() => resolveImportCustomer(f, { nameHintExists: true })).toThrow(
      /named for customer B but its rows belong to customer G/,
    );
    expect(resolveImportCustomer(f, { customer: 'G' })).toBe('G');
    expect(() => resolveImportCustomer({ file: 'x.csv', rowCustomers: { A: 1, B: 2 } }, {})).toThrow(
      /several customers/,
    );
  });
});

describeEachBackend('import', ({ create }) => {
  let t: TestDatabase;
  let db: Db;

  beforeEach(async () => {
    t = await create();
    db = t.db;
    await seedTestFleet(db, ['B', 'E', 'G', 'J']);
  });
  afterEach(async () => t.drop());

  it('imports every layout through the processor and writer; a second import stores nothing', async () => {
    for (const file of [
      'misc/customer_B_data.csv',
      'csv-generator-format/customer_B_data_file_1.csv',
      'simulator-csv-format/E_download.csv',
      'simulator-csv-format/J_download.csv',
    ]) {
      const first = await importFile(db, fixture(file));
      expect(first.totals.rejected, file).toBe(0);
      expect(first.totals.stored + first.totals.duplicates, file).toBe(first.f.rows.length);
      expect(first.log).toMatchObject({
        ingestion_type: 'import',
        status: 'success',
        records_processed: first.f.rows.length,
      });
      const second = await importFile(db, fixture(file));
      expect(second.totals, file).toEqual({ stored: 0, duplicates: first.f.rows.length, rejected: 0 });
      expect(second.log.records_duplicate).toBe(first.f.rows.length);
    }
    // Null temperatures stay null (failed reads), °F is converted and the source kept.
    const f = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM temperature_readings WHERE source_unit = 'F' AND abs(temperature_c - (source_value - 32) / 1.8) < 1e-9",
    );
    expect(f[0]!.n).toBeGreaterThan(900);
    const nulls = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM temperature_readings WHERE temperature_c IS NULL AND equipment_status = 'failure'",
    );
    expect(nulls[0]!.n).toBeGreaterThan(0);
  });

  it('reads naive timestamps in the customer zone (BST in June)', async () => {
    await importFile(db, fixture('csv-generator-format/customer_J_data_file_1.csv'));
    const rows = await db.query<{ at: Date }>(
      `SELECT min(recorded_at) AS at FROM temperature_readings r JOIN customers c ON c.id = r.customer_id WHERE c.customer_code = 'J'`,
    );
    // The file's first row says 2025-06-17 11:39:29 (London time).
    expect(rows[0]!.at.toISOString()).toBe('2025-06-17T10:39:29.000Z');
  });

  it('rejects the assignment files, whose units do not exist, with unknown_unit', async () => {
    const r = await importFile(db, fixture('assignment/customer_B_assignment.json'));
    expect(r.totals).toEqual({ stored: 0, duplicates: 0, rejected: 579 });
    expect(r.log.status).toBe('failure');
  });
});
