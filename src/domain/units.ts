// The one place temperatures change scale. Everything is stored and computed in °C; sources may
// send °F, and the API and dashboard answer in the unit asked for.

export type TemperatureUnit = 'C' | 'F';

/** °F → °C. */
export const fahrenheitToCelsius = (f: number): number => ((f - 32) * 5) / 9;

/** °C → °F. */
export const celsiusToFahrenheit = (c: number): number => (c * 9) / 5 + 32;

/** A value in `unit` expressed in °C. */
export const toCelsius = (value: number, unit: TemperatureUnit): number =>
  unit === 'F' ? fahrenheitToCelsius(value) : value;

/** A °C value expressed in `unit`. */
export const fromCelsius = (c: number, unit: TemperatureUnit): number =>
  unit === 'F' ? celsiusToFahrenheit(c) : c;

/** Degrees of `unit` per degree Celsius: the scale of a temperature difference (no offset). */
export const degreesPerCelsius = (unit: TemperatureUnit): number => (unit === 'F' ? 9 / 5 : 1);

/** A temperature from one unit to another. */
export const convertTemperature = (value: number, from: TemperatureUnit, to: TemperatureUnit): number =>
  from === to ? value : fromCelsius(toCelsius(value, from), to);

/** A temperature difference (deviation, band width) from one unit to another: scaled, no offset. */
export const convertTemperatureDelta = (value: number, from: TemperatureUnit, to: TemperatureUnit): number =>
  from === to ? value : (value / degreesPerCelsius(from)) * degreesPerCelsius(to);

/** Rounds to 4 decimals: conversions and averages stay readable without losing sensor precision. */
export const round4 = (v: number): number => Math.round(v * 1e4) / 1e4;

/** A °C value in the unit asked for (null stays null), rounded to 4 decimals: what the API answers. */
export const celsiusTo = (c: number | null | undefined, unit: TemperatureUnit): number | null =>
  c === null || c === undefined ? null : round4(fromCelsius(c, unit));

/** A °C difference in the unit asked for (null stays null), rounded to 4 decimals. */
export const celsiusDeltaTo = (c: number | null | undefined, unit: TemperatureUnit): number | null =>
  c === null || c === undefined ? null : round4(c * degreesPerCelsius(unit));

/**
 * Reads a temperature unit as sources send it: `C`/`F` in any case, with surrounding spaces.
 * Anything else (`K`, `celsius`, empty) is undefined: guessing would mix scales.
 */
export const parseTemperatureUnit = (raw: unknown): TemperatureUnit | undefined => {
  if (typeof raw !== 'string') return undefined;
  const u = raw.trim().toUpperCase();
  return u === 'C' || u === 'F' ? u : undefined;
};
