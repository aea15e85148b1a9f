import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsvStream } from '../../src/ingestion/collectors/csv-collector.ts';
import { collectWindow, windowUrl } from '../../src/ingestion/collectors/collect.ts';
import { fetchSource, readAll } from '../../src/ingestion/fetch-source.ts';

const LIMITS = { connectTimeoutMs: 2_000, totalTimeoutMs: 1_000, maxBytes: 10_000 };

describe('fetchSource against a local server', () => {
  let server: http.Server;
  let base: string;
  const seen: string[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.url!);
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

  it('keeps existing query parameters other than hours', () => {
    expect(windowUrl('http://h:1/p?key=1&hours=24', new Date(0), new Date(1000))).toBe(
      'http://h:1/p?key=1&since=1970-01-01T00%3A00%3A00.000Z&until=1970-01-01T00%3A00%3A01.000Z',
    );
  });
});
