import { describe, expect, it } from 'vitest';
import { csvCell } from './csv.ts';

describe('csvCell', () => {
  it('leaves plain values alone and empties null', () => {
    expect(csvCell('unit_1')).toBe('unit_1');
    expect(csvCell(-18.25)).toBe('-18.25');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
  });

  it('quotes commas, quotes and line breaks, doubling quotes (RFC 4180)', () => {
    expect(csvCell('Freezer, north')).toBe('"Freezer, north"');
    expect(csvCell('12" door')).toBe('"12"" door"');
    expect(csvCell('a\nb')).toBe('"a\nb"');
    expect(csvCell('a\rb')).toBe('"a\rb"');
  });
});
