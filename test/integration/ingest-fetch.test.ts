import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseJsonReadings } from '../../src/ingestion/collectors/api-collector.ts';
import { parseCsvStream } from '../../src/ingestion/collectors/csv-collector.ts';
import { collectWindow, windowUrl } from '../../src/ingestion/collectors/collect.ts';
import { fetchSource, readAll } from '../../src/ingestion/fetch-source.ts';
import { RowCapExceededError } from '../../src/ingestion/row-cap.ts';

const LIMITS = { connectTimeoutMs: 2_000, totalTimeoutMs: 1_000, maxBytes: 10_000 };

describe('fetchSource against a local server', () => {
  let server: http.Server;
  let base: string;
  const seen: string[] = [];
  /** Closed (true) or not yet (false) connections of /endless, which never stops sending. */
  const endless: { closed: boolean }[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.url!);
      if (req.url!.startsWith('/endless')) {
        const state = { closed: false };
        endless.push(state);
        res.on('close', () => (state.closed = true));
        const json = req.url!.includes('json');
        res.writeHead(200, { 'content-type': json ? 'application/json' : 'text/csv' });
        res.write(json ? '{"customer":"A","readings":[' : 'facility_id,unit_id\n');
        const chunk = (json ? '{"facility_id":"f","unit_id":"u"},' : 'f,u\n').repeat(500);
        const pump = () => {
          while (!res.destroyed) if (!res.write(chunk)) return void res.once('drain', pump);
        };
        pump();
        return;
      }
      if (req.url!.startsWith('/wide')) {
        // 4,000 columns of one-character cells: parsed whole, 1,000 rows take ~270 MB of heap.
        const names = Array.from({ length: 4_000 }, (_, i) => `c${i.toString(36)}`);
        const json = req.url!.includes('api');
        res.writeHead(200, { 'content-type': json ? 'application/json' : 'text/csv' });
        if (json) {
          const row = `{${names
            .slice(0, 900)
            .map((n) => `"${n}":1`)
            .join(',')},"unit_id":"u"}`;
          res.end(`[${Array(1_000).fill(row).join(',')}]`);
        } else res.end(`${names.join(',')},unit_id\n${`${'1,'.repeat(4_000)}u\n`.repeat(1_000)}`);
        return;
      }
      if (req.url!.startsWith('/slow')) {
        res.writeHead(200);
        res.write('a,b\n');
        return; // never ends: the total timeout must cut it
      }
      if (req.url!.startsWith('/big')) {
        res.writeHead(200);
        res.end('x'.repeat(20_000));
        return;
      }
      if (req.url!.startsWith('/down')) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end('{"detail":"Service unavailable (simulated outage)"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.end(
        '\uFEFF customer_id , facility_id,unit_id,temperature\r\n B , facility_B_1 ,unit_B_1_1, -3.2 \r\n\r\nB,facility_B_1,unit_B_1_2,\r\n',
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('parses CSV with a BOM, padded headers and values, CRLF and blank lines', async () => {
    const rows = await collectWindow(
      'csv',
      `${base}/data/download.csv?hours=24`,
      new Date('2026-01-01T00:00:00Z'),
      new Date('2026-01-01T01:00:00Z'),
      LIMITS,
    );
    expect(rows).toEqual([
      { customer_id: 'B', facility_id: 'facility_B_1', unit_id: 'unit_B_1_1', temperature: '-3.2' },
      { customer_id: 'B', facility_id: 'facility_B_1', unit_id: 'unit_B_1_2', temperature: '' },
    ]);
    expect(seen.at(-1)).toBe(
      '/data/download.csv?since=2026-01-01T00%3A00%3A00.000Z&until=2026-01-01T01%3A00%3A00.000Z',
    );
  });

  it('cuts off a body that takes longer than the total timeout', async () => {
    const t0 = Date.now();
    await expect(fetchSource(`${base}/slow`, LIMITS).then((r) => readAll(r.body))).rejects.toThrow(
      /timed out after 1000 ms/,
    );
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it('refuses a body larger than the limit', async () => {
    await expect(fetchSource(`${base}/big`, LIMITS).then((r) => readAll(r.body))).rejects.toThrow(
      /exceeds the limit/,
    );
  });

  it('reports a non-2xx answer with its status and body', async () => {
    await expect(fetchSource(`${base}/down`, LIMITS)).rejects.toThrow(
      /HTTP 503: \{"detail":"Service unavailable/,
    );
  });

  it('reports an unreachable source and refuses metadata addresses before connecting', async () => {
    await expect(fetchSource('http://127.0.0.1:1/x', LIMITS)).rejects.toThrow(
      /cannot reach 127.0.0.1:1: ECONNREFUSED/,
    );
    await expect(fetchSource('http://169.254.169.254/latest/meta-data/', LIMITS)).rejects.toThrow(/metadata/);
  });

  it('rejects unbalanced CSV quotes as a parse error', async () => {
    await expect(parseCsvStream(Readable.from(['a,b\n"x,1\n']))).rejects.toThrow(/CSV cannot be parsed/);
  });

  it.each(['api', 'csv'] as const)(
    'stops reading an endless %s body past maxRows and drops the connection',
    async (method) => {
      const before = endless.length;
      const limits = { ...LIMITS, totalTimeoutMs: 20_000, maxBytes: 1024 * 1024 * 1024 };
      const t0 = Date.now();
      const err = await collectWindow(
        method,
        `${base}/endless-${method === 'api' ? 'json' : 'csv'}`,
        new Date(0),
        new Date(1000),
        limits,
        5_000,
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RowCapExceededError);
      expect((err as RowCapExceededError).cap).toBe(5_000);
      expect(Date.now() - t0).toBeLessThan(10_000);
      await vi.waitFor(() => expect(endless[before]!.closed).toBe(true), { timeout: 5_000 });
    },
  );

  it.each(['api', 'csv'] as const)(
    'keeps only the fields the processor reads of very wide %s rows',
    async (method) => {
      const limits = { ...LIMITS, totalTimeoutMs: 30_000, maxBytes: 64 * 1024 * 1024 };
      const heap0 = process.memoryUsage().heapUsed;
      const rows = await collectWindow(method, `${base}/wide-${method}`, new Date(0), new Date(1000), limits);
      expect(process.memoryUsage().heapUsed - heap0).toBeLessThan(100 * 1024 * 1024);
      expect(rows.length).toBe(1_000);
      expect(new Set(rows.map((r) => JSON.stringify(r)))).toEqual(new Set(['{"unit_id":"u"}']));
    },
  );

  it('streams the readings out of a JSON envelope or a bare array, and refuses other documents', async () => {
    const parse = (...chunks: string[]) =>
      parseJsonReadings(Readable.from(chunks.map((c) => Buffer.from(c))));
    expect(await parse('\uFEFF{"customer":"A","readings":[{"a":1},', '7,null,{"b":"x"}],"n":3}\n')).toEqual([
      { a: 1 },
      { b: 'x' },
    ]);
    expect(await parse('[{"a":1}]')).toEqual([{ a: 1 }]);
    await expect(parse('{"other":[{"a":1}]}')).rejects.toThrow(/no readings array/);
    await expect(parse('[{"a":1},')).rejects.toThrow(/JSON cannot be parsed/);
    await expect(parse('[{"a":1}] x')).rejects.toThrow(/JSON cannot be parsed/);
    await expect(parse('[' + '['.repeat(100))).rejects.toThrow(/nested deeper/);
  });

  it('keeps existing query parameters other than hours', () => {
    expect(windowUrl('http://h:1/p?key=1&hours=24', new Date(0), new Date(1000))).toBe(
      'http://h:1/p?key=1&since=1970-01-01T00%3A00%3A00.000Z&until=1970-01-01T00%3A00%3A01.000Z',
    );
  });
});
