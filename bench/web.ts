// Dashboard performance: `npm run bench:web`. Prints the gzip size of the built bundle and the time
// from navigation to a drawn chart on the unit page, for 24 h and for 1 year of minute data
// (525,600 readings of one unit), in headless Chromium, with the conditions it ran under.
/// <reference lib="dom" />
import { readdir, readFile, rm, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseConfig } from '../src/config/config.ts';
import { openDb } from '../src/db/open.ts';
import { insertReadingsWithRollups, type NewReading } from '../src/db/readings-query-repo.ts';
import { celsiusSql } from '../src/db/sql-units.ts';
import { REPO_ROOT, randomPortBase, startTms, waitForHttp } from '../test/support/cli.ts';
import { chromiumAvailable, CHROMIUM_PATH, launchChromium } from '../test/support/browser.ts';
import { ensureDashboardBuilt } from '../test/support/web-system.ts';

const MINUTES_PER_YEAR = 525_600;
const SEED_CHUNK = 10_000;
const RUNS = 5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// ---- 1. bundle size ----
ensureDashboardBuilt();
const assetsDir = path.join(REPO_ROOT, 'dist', 'web', 'assets');
const files = (await readdir(assetsDir)).filter((f) => /\.(js|css)$/.test(f));
let rawTotal = 0;
let gzTotal = 0;
console.log('bundle (dist/web/assets):');
for (const f of files) {
  const buf = await readFile(path.join(assetsDir, f));
  const gz = gzipSync(buf, { level: 9 }).length;
  rawTotal += buf.length;
  gzTotal += gz;
  console.log(
    `  ${f.padEnd(28)} ${(buf.length / 1024).toFixed(1).padStart(7)} kB  gzip ${(gz / 1024).toFixed(1).padStart(6)} kB`,
  );
}
console.log(
  `  total                        ${(rawTotal / 1024).toFixed(1).padStart(7)} kB  gzip ${(gzTotal / 1024).toFixed(1).padStart(6)} kB  (target < 300 kB gzip)`,
);

if (!chromiumAvailable()) {
  console.log(`\n${CHROMIUM_PATH} not found: chart timings skipped (apt-get install chromium).`);
  process.exit(0);
}

// ---- 2. a system with one unit holding a year of minute data ----
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tms-bench-web-'));
const port = randomPortBase();
const env = { TMS_DATA_DIR: dataDir, PORT: String(port), SIM_PORT_START: String(port + 1) };
const base = `http://127.0.0.1:${port}`;

try {
  // First start seeds the fleet and writes tokens.json; then stop to load readings directly.
  let up = startTms(['up', '--roles', 'api'], env);
  await waitForHttp(`${base}/health`, 60_000);
  await up.stop('SIGTERM');
  const tokens = JSON.parse(await readFile(path.join(dataDir, 'tokens.json'), 'utf8')) as {
    customers: Record<string, { token: string }>;
  };

  const t0 = Date.now();
  const db = await openDb(parseConfig({ TMS_DATA_DIR: dataDir, LOG_LEVEL: 'warn' }), { holder: 'bench:web' });
  const [unit] = await db.query<{ id: string; customer_id: string; facility_id: string; set_c: number }>(
    `SELECT u.id, u.customer_id, u.facility_id,
            ${celsiusSql('u.set_temperature', 'u.temperature_unit')}::float8 AS set_c
       FROM storage_units u JOIN customers c ON c.id = u.customer_id
      WHERE c.customer_code = 'A' ORDER BY u.unit_code LIMIT 1`,
  );
  if (!unit) throw new Error('customer A has no unit');
  // One reading per minute for 365 days up to now: a daily cycle of ±1.5 °C plus noise, stored
  // through the writers' own SQL so the hourly and daily rollups are the product's.
  const endMs = Math.floor(Date.now() / 60_000) * 60_000;
  for (let i = 0; i < MINUTES_PER_YEAR; i += SEED_CHUNK) {
    const chunk: NewReading[] = [];
    for (let k = i; k < Math.min(MINUTES_PER_YEAR, i + SEED_CHUNK); k++) {
      const at = endMs - (MINUTES_PER_YEAR - 1 - k) * 60_000;
      const v =
        Math.round(
          (unit.set_c + 1.5 * Math.sin((at / 86_400_000) * 2 * Math.PI) + Math.random() * 0.4 - 0.2) * 100,
        ) / 100;
      chunk.push({
        customerId: unit.customer_id,
        facilityId: unit.facility_id,
        unitId: unit.id,
        recordedAt: new Date(at),
        temperatureC: v,
        sourceValue: v,
        sourceUnit: 'C',
        sensorId: 'bench',
        qualityScore: 0.95,
        equipmentStatus: 'normal',
      });
    }
    await insertReadingsWithRollups(db, chunk);
  }
  const [{ n } = { n: 0 }] = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM temperature_readings WHERE storage_unit_id = $1',
    [unit.id],
  );
  await db.close();
  console.log(
    `\nseeded ${n.toLocaleString('en')} minute readings (1 year) for one unit in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );

  up = startTms(['up', '--roles', 'api'], env);
  await waitForHttp(`${base}/health`, 60_000);
  const chrome = await launchChromium();
  try {
    const page = await chrome.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${base}/`);
    await page.fill('#token', tokens.customers.A!.token);
    await page.click('button[type=submit]');
    await page.waitForSelector('nav.mainnav');

    const measure = async (range: string) => {
      const times: number[] = [];
      let points = 0;
      let resolution = '';
      for (let i = 0; i < RUNS + 1; i++) {
        // A full navigation (new document): the time is from navigation start to uPlot's draw hook.
        await page.goto('about:blank');
        await page.goto(`${base}/#/units/${unit.id}?range=${range}`);
        await page.waitForSelector('[data-testid=unit-chart][data-drawn]', { timeout: 60_000 });
        const drawn = Number(await page.getAttribute('[data-testid=unit-chart]', 'data-drawn'));
        points = Number(await page.getAttribute('[data-testid=unit-chart]', 'data-points'));
        resolution = (await page.getAttribute('[data-testid=unit-chart-wrap]', 'data-resolution')) ?? '';
        if (i > 0) times.push(drawn); // the first run warms the HTTP cache and the database
      }
      return { median: median(times), min: Math.min(...times), max: Math.max(...times), points, resolution };
    };
    console.log(
      `\nnavigation → drawn chart on the unit page (headless Chromium, 1280×900, median of ${RUNS}, warm cache):`,
    );
    for (const range of ['24h', '7d', '30d', '1y']) {
      const r = await measure(range);
      console.log(
        `  ${range.padEnd(4)} ${r.median.toFixed(0).padStart(5)} ms  (min ${r.min.toFixed(0)}, max ${r.max.toFixed(0)})  ` +
          `${r.points.toLocaleString('en')} points drawn, resolution ${r.resolution === 'raw' ? 'raw readings' : `${r.resolution === 'day' ? 'daily' : 'hourly'} min/avg/max buckets`}` +
          (range === '1y' ? '  (target < 1000 ms)' : ''),
      );
    }
  } finally {
    await chrome.close();
    await up.stop('SIGTERM');
  }
  console.log(
    `\nconditions: node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, embedded PGlite, api role only, Chromium ${CHROMIUM_PATH}`,
  );
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
