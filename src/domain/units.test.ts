import { describe, expect, it } from 'vitest';
import { isPlausibleCelsius, parseQualityScore, parseTemperatureValue } from './reading-validation.ts';
import {
  celsiusDeltaTo,
  celsiusTo,
  celsiusToFahrenheit,
  convertTemperature,
  convertTemperatureDelta,
  degreesPerCelsius,
  fahrenheitToCelsius,
  fromCelsius,
  parseTemperatureUnit,
  round4,
  toCelsius,
} from './units.ts';

describe('units', () => {
  it('converts °F to °C and back', () => {
    expect(fahrenheitToCelsius(32)).toBe(0);
    expect(fahrenheitToCelsius(-40)).toBe(-40);
    expect(toCelsius(212, 'F')).toBeCloseTo(100, 10);
    expect(toCelsius(-18, 'C')).toBe(-18);
    expect(celsiusToFahrenheit(fahrenheitToCelsius(-15.93))).toBeCloseTo(-15.93, 10);
  });

  it('converts between any two units, and a difference without the offset', () => {
    expect(fromCelsius(-18, 'F')).toBeCloseTo(-0.4, 10);
    expect(fromCelsius(-18, 'C')).toBe(-18);
    expect(convertTemperature(-0.4, 'F', 'C')).toBeCloseTo(-18, 10);
    expect(convertTemperature(-18, 'C', 'F')).toBeCloseTo(-0.4, 10);
    expect(convertTemperature(3.3, 'F', 'F')).toBe(3.3);
    // A deviation of 2 °C is 3.6 °F: scaled, not shifted by 32.
    expect(degreesPerCelsius('F')).toBe(1.8);
    expect(degreesPerCelsius('C')).toBe(1);
    expect(convertTemperatureDelta(2, 'C', 'F')).toBeCloseTo(3.6, 10);
    expect(convertTemperatureDelta(3.6, 'F', 'C')).toBeCloseTo(2, 10);
    expect(convertTemperatureDelta(-1.5, 'C', 'C')).toBe(-1.5);
  });

  it('answers API values rounded to 4 decimals, null staying null', () => {
    expect(round4(1.23456)).toBe(1.2346);
    expect(celsiusTo(-18.123456, 'C')).toBe(-18.1235);
    expect(celsiusTo(-18, 'F')).toBe(-0.4);
    expect(celsiusTo(null, 'F')).toBeNull();
    expect(celsiusTo(undefined, 'C')).toBeNull();
    expect(celsiusDeltaTo(2, 'F')).toBe(3.6);
    expect(celsiusDeltaTo(-0.5, 'C')).toBe(-0.5);
    expect(celsiusDeltaTo(null, 'F')).toBeNull();
  });

  it('accepts only C and F', () => {
    expect(parseTemperatureUnit(' f ')).toBe('F');
    expect(parseTemperatureUnit('C')).toBe('C');
    for (const bad of ['K', 'celsius', '', undefined, 1]) expect(parseTemperatureUnit(bad)).toBeUndefined();
  });
});

describe('reading values', () => {
  it('parses temperatures strictly; null/empty is a failed read', () => {
    expect(parseTemperatureValue('-3.21')).toBe(-3.21);
    expect(parseTemperatureValue(' 4 ')).toBe(4);
    expect(parseTemperatureValue(-0.02)).toBe(-0.02);
    expect(parseTemperatureValue('')).toBeNull();
    expect(parseTemperatureValue(null)).toBeNull();
    for (const bad of ['n/a', '-12,5', 'NaN', '1e999', '--4.2', '0x10', Infinity, NaN, true])
      expect(parseTemperatureValue(bad)).toBeNaN();
  });

  it('keeps quality as a float in [0,1]', () => {
    expect(parseQualityScore('0.7639099746083833')).toBeCloseTo(0.7639, 4);
    expect(parseQualityScore(0)).toBe(0);
    expect(parseQualityScore('')).toBeUndefined();
    expect(parseQualityScore('1.5')).toBeNaN();
    expect(parseQualityScore('good')).toBeNaN();
  });

  it('judges plausibility in °C against absolute bounds and the set point', () => {
    expect(isPlausibleCelsius(-80, -78.4, 'C')).toBe(true);
    expect(isPlausibleCelsius(-101, -78.4, 'C')).toBe(false);
    expect(isPlausibleCelsius(61, 4, 'C')).toBe(false);
    expect(isPlausibleCelsius(35, -20, 'C')).toBe(false);
    expect(isPlausibleCelsius(toCelsius(-15.93, 'F'), -16.1, 'F')).toBe(true);
  });
});
