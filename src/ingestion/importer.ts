import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { recordAudit } from '../audit/record.ts';
import { findCustomerByCode } from '../db/customers-repo.ts';
import {
  createRunLog,
  getRunLog,
  recordProcessed,
  runCustomerCode,
  setAccepted,
  widenRunWindow,
  type RunLogRow,
} from '../db/ingestion-repo.ts';
import type { Db } from '../db/types.ts';
import { isValidTimeZone } from '../domain/time.ts';
import { AppError, notFound } from '../lib/errors.ts';
import { splitIntoBatches } from '../queue/types.ts';
import { CodeMapCache, codesOf } from './code-map.ts';
import { parseJsonReadings } from './collectors/api-collector.ts';
import { parseCsvStream } from './collectors/csv-collector.ts';
import { emptyRejections, processRows } from './processor.ts';
import type { RejectionSummary } from '../domain/reading.ts';
import type { RawRow } from './types.ts';
import { completeRun, writeBatch } from './writer.ts';

/** The file layouts of seed-system.md §10, told apart by their content (never by the file name). */
export type ImportFormat = 'sim-csv' | 'generator-csv' | 'csv' | 'json-export' | 'json';

export interface ImportFile {
  file: string;
  format: ImportFormat;
  rows: RawRow[];
  /** customer_id of a JSON export's envelope. */
  declaredCustomer?: string;
  /** How many rows name each customer code. */
  rowCustomers: Record<string, number>;
}

const sniff = async (file: string): Promise<string> => {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf
      .subarray(0, bytesRead)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
  } finally {
    await fh.close();
  }
};

const csvFormat = (header: string): ImportFormat => {
  const cols = header.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
  if (cols.includes('degrees') || cols.includes('storage_room')) return 'generator-csv';
  if (cols.includes('temperature_unit') && cols.includes('unit_name')) return 'sim-csv';
  return 'csv';
};

/**
 * Reads a readings file (CSV streamed, JSON whole) and detects its layout from the header or the JSON
 * shape.
 * @throws AppError NOT_FOUND when the file cannot be read, VALIDATION when it is neither layout.
 */
export const readImportFile = async (file: string): Promise<ImportFile> => {
  let head: string;
  try {
    head = await sniff(file);
  } catch (e) {
    throw new AppError('NOT_FOUND', `${file}: cannot be read (${(e as NodeJS.ErrnoException).code})`);
  }
  const trimmed = head.trimStart();
  let format: ImportFormat;
  let rows: RawRow[];
  let declaredCustomer: string | undefined;
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    rows = await parseJsonReadings(createReadStream(file)).catch((e: Error) => {
      throw new AppError('VALIDATION', `${file}: ${e.message}`);
    });
    format = trimmed.startsWith('{') ? 'json-export' : 'json';
    if (format === 'json-export') {
      const m = /"customer_id"\s*:\s*"([^"]+)"/.exec(head);
      // Only the envelope's own customer_id counts, i.e. one appearing before "readings".
      const readingsAt = head.indexOf('"readings"');
      if (m && (readingsAt < 0 || m.index < readingsAt)) declaredCustomer = m[1];
    }
  } else {
    format = csvFormat(trimmed.split(/\r?\n/)[0] ?? '');
    rows = await parseCsvStream(createReadStream(file)).catch((e: Error) => {
      throw new AppError('VALIDATION', `${file}: ${e.message}`);
    });
    if (rows.length > 0 && !('temperature' in rows[0]!))
      throw new AppError('VALIDATION', `${file}: no temperature column; not a readings file`);
  }
  const rowCustomers: Record<string, number> = Object.create(null) as Record<string, number>; // keys come from the file
  for (const r of rows) {
    const c = typeof r.customer_id === 'string' ? r.customer_id.trim() : '';
    if (c) rowCustomers[c] = (rowCustomers[c] ?? 0) + 1;
  }
  return { file, format, rows, declaredCustomer, rowCustomers };
};

/** The customer code a file name suggests (`customer_B_data.csv`, `B_download….csv`), if any. */
export const customerHintOf = (file: string): string | undefined =>
  /^(?:customer_)?([A-Za-z0-9]+?)(?:_|\.)/.exec(path.basename(file))?.[1];

const describeCounts = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([c, n]) => `${c}: ${n}`)
    .join(', ');

/**
 * Decides whose data a file holds, or why it must be refused: the customer given on the command line,
 * else the JSON envelope's, else the one customer its rows name. A file whose rows name another
 * customer than the one given (or than its name says, when that customer exists) is refused whole:
 * that is how data fetched for one customer but belonging to another is caught.
 * @returns the customer code; @throws AppError VALIDATION with the reason.
 */
export const resolveImportCustomer = (
  f: Pick<ImportFile, 'file' | 'declaredCustomer' | 'rowCustomers'>,
  opts: { customer?: string; nameHintExists?: boolean },
): string => {
  const named = Object.keys(f.rowCustomers);
  const base = path.basename(f.file);
  if (opts.customer) {
    const others = named.filter((c) => c !== opts.customer);
    if (others.length > 0)
      throw new AppError(
        'VALIDATION',
        `${base}: rows belong to customer ${others.join(', ')}, not ${opts.customer} (${describeCounts(f.rowCustomers)}); nothing imported`,
      );
    return opts.customer;
  }
  const code = f.declaredCustomer ?? (named.length === 1 ? named[0] : undefined);
  if (!code)
    throw new AppError(
      'VALIDATION',
      named.length > 1
        ? `${base}: rows name several customers (${describeCounts(f.rowCustomers)}); pass --customer`
        : `${base}: no customer_id in the file; pass --customer`,
    );
  if (named.some((c) => c !== code))
    throw new AppError(
      'VALIDATION',
      `${base}: declared customer ${code} but rows name ${describeCounts(f.rowCustomers)}; nothing imported`,
    );
  const hint = customerHintOf(f.file);
  if (hint && opts.nameHintExists && hint !== code)
    throw new AppError(
      'VALIDATION',
      `${base}: the file is named for customer ${hint} but its rows belong to customer ${code}; nothing imported (pass --customer ${code} if that is intended)`,
    );
  return code;
};

export interface ImportChunkResult {
  rows: number;
  stored: number;
  duplicates: number;
  rejected: number;
  rejections: RejectionSummary;
}

/** Opens the ingestion log of a file import. */
export const beginImport = async (
  db: Db,
  input: { customer: string; source: string; timezone?: string },
): Promise<{ logId: string; customerId: string; timezone: string }> => {
  const c = await findCustomerByCode(db, input.customer);
  if (!c) throw notFound(`Customer '${input.customer}'`);
  const timezone = input.timezone ?? c.timezone;
  if (!isValidTimeZone(timezone)) throw new AppError('VALIDATION', `unknown time zone '${timezone}'`);
  const logId = await createRunLog(db, {
    customerId: c.id,
    type: 'import',
    sourceUrl: input.source.slice(0, 2000),
  });
  return { logId, customerId: c.id, timezone };
};

/**
 * Validates and stores one chunk of a file's rows with the same processor and writer as live
 * collection. Idempotent: importing the same rows again stores nothing and counts duplicates.
 */
export const importChunk = async (
  db: Db,
  input: {
    logId: string;
    customer: string;
    rows: RawRow[];
    firstRow: number;
    timezone: string;
    nowMs: number;
    futureToleranceSeconds: number;
  },
): Promise<ImportChunkResult> => {
  const c = await findCustomerByCode(db, input.customer);
  if (!c) throw notFound(`Customer '${input.customer}'`);
  const units = await new CodeMapCache(db).lookupFor(c.id, codesOf(input.rows), input.nowMs);
  const result = processRows({
    rows: input.rows,
    customerCode: c.customer_code,
    timezone: input.timezone,
    units,
    nowMs: input.nowMs,
    futureToleranceMs: input.futureToleranceSeconds * 1000,
    firstRow: input.firstRow,
  });
  await recordProcessed(db, input.logId, {
    processed: input.rows.length,
    rejected: result.rejected,
    rejections: emptyRejections(),
    accepted: null,
  });
  if (result.readings.length > 0) {
    let first = Infinity;
    let last = -Infinity;
    for (const r of result.readings) {
      first = Math.min(first, r.recordedAtMs);
      last = Math.max(last, r.recordedAtMs);
    }
    await widenRunWindow(db, input.logId, new Date(first), new Date(last));
  }
  let stored = 0;
  let duplicates = 0;
  for (const readings of splitIntoBatches(result.readings)) {
    const w = await writeBatch(db, {
      batchId: randomUUID(),
      ingestionLogId: input.logId,
      customerId: c.id,
      readings,
    });
    stored += w.stored;
    duplicates += w.duplicates;
  }
  return {
    rows: input.rows.length,
    stored,
    duplicates,
    rejected: result.rejected,
    rejections: result.rejections,
  };
};

/**
 * Closes a file import's log with the merged rejection summary (status as for collection runs) and
 * writes the import's one audit entry (entity import, id the log's) in the same transaction: the
 * file, the customer, the counts and the time range of its readings. The reason is the operation's
 * (`tms import --reason`).
 */
export const finishImport = async (db: Db, logId: string, rejections: RejectionSummary): Promise<RunLogRow> =>
  db.transaction(async (tx) => {
    const log = await getRunLog(tx, logId);
    if (!log) throw notFound(`Ingestion log ${logId}`);
    await setAccepted(tx, logId, log.records_succeeded + log.records_duplicate, rejections);
    await completeRun(tx, logId);
    const done = (await getRunLog(tx, logId))!;
    await recordAudit(tx, {
      entityType: 'import',
      entityId: logId,
      customerId: done.customer_id,
      action: 'import',
      details: {
        file: done.source_url ? path.basename(done.source_url) : null,
        source: done.source_url,
        customer: await runCustomerCode(tx, logId),
        status: done.status,
        rows: done.records_processed,
        accepted: done.records_accepted,
        stored: done.records_succeeded,
        duplicates: done.records_duplicate,
        rejected: done.records_failed,
        from: done.window_start,
        to: done.window_end,
      },
    });
    return done;
  });
