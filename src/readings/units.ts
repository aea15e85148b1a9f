export type TempUnit = 'C' | 'F';

/** Rounds to 4 decimals: conversions and averages stay readable without losing sensor precision. */
export const round4 = (v: number): number => Math.round(v * 1e4) / 1e4;

export const fromC = (c: number, unit: TempUnit): number => (unit === 'F' ? (c * 9) / 5 + 32 : c);
export const toC = (v: number, unit: TempUnit): number => (unit === 'F' ? ((v - 32) * 5) / 9 : v);

/** A °C value in the unit asked for (null stays null), rounded to 4 decimals. */
export const convert = (c: number | null | undefined, unit: TempUnit): number | null =>
  c === null || c === undefined ? null : round4(fromC(c, unit));

/** A temperature difference (no offset) in the unit asked for. */
export const convertDelta = (c: number | null | undefined, unit: TempUnit): number | null =>
  c === null || c === undefined ? null : round4(unit === 'F' ? (c * 9) / 5 : c);
