/**
 * The SQL twin of `toCelsius` (domain/units.ts), for the queries that aggregate against a set point
 * kept in the unit's own scale: `value` in the unit named by `unit` ('C' | 'F'), as °C.
 * `sql-units.test.ts` holds it equal to the domain function.
 */
export const celsiusSql = (value: string, unit: string): string =>
  `(CASE WHEN ${unit} = 'F' THEN (${value} - 32) * 5.0 / 9.0 ELSE ${value} END)`;
