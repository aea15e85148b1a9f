import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toCelsius, type TemperatureUnit } from '../domain/units.ts';
import { celsiusSql } from './sql-units.ts';

describe('celsiusSql', () => {
  let db: PGlite;
  beforeAll(async () => {
    db = await PGlite.create();
  });
  afterAll(async () => {
    await db.close();
  });

  it('converts set points exactly as domain/units.ts does', async () => {
    const cases: [number, TemperatureUnit][] = [
      [-0.4, 'F'],
      [32, 'F'],
      [-112, 'F'],
      [46.4, 'F'],
      [-18, 'C'],
      [4.25, 'C'],
    ];
    for (const [value, unit] of cases) {
      const { rows } = await db.query<{ c: number }>(
        `SELECT ${celsiusSql('$1::float8', '$2::text')}::float8 AS c`,
        [value, unit],
      );
      expect(rows[0]!.c, `${value} ${unit}`).toBeCloseTo(toCelsius(value, unit), 10);
    }
  });
});
