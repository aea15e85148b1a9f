// Both backends return the same JS types: int8 and numeric as numbers (our counts and sizes fit
// comfortably in a double), timestamptz as Date. pg returns int8/numeric as strings by default.
export const INT8_OID = 20;
export const NUMERIC_OID = 1700;

export const toNumber = (value: string): number => Number(value);
