export type TemperatureUnit = 'C' | 'F';

/** °F → °C. */
export const fahrenheitToCelsius = (f: number): number => ((f - 32) * 5) / 9;

/** °C → °F. */
export const celsiusToFahrenheit = (c: number): number => (c * 9) / 5 + 32;

/** A value in `unit` expressed in °C. */
export const toCelsius = (value: number, unit: TemperatureUnit): number =>
  unit === 'F' ? fahrenheitToCelsius(value) : value;

/**
 * Reads a temperature unit as sources send it: `C`/`F` in any case, with surrounding spaces.
 * Anything else (`K`, `celsius`, empty) is undefined: guessing would mix scales.
 */
export const parseTemperatureUnit = (raw: unknown): TemperatureUnit | undefined => {
  if (typeof raw !== 'string') return undefined;
  const u = raw.trim().toUpperCase();
  return u === 'C' || u === 'F' ? u : undefined;
};
