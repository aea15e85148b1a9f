import { describe, expect, it } from 'vitest';
import { AppError } from '../lib/errors.ts';
import { backoffMs, classifyFailure, PoisonMessageError, type FailureKind } from './errors.ts';

const withCode = (code: string, message = 'failed') => Object.assign(new Error(message), { code });

describe('classifyFailure', () => {
  // transient: keep the batch and retry for as long as it lasts (an outage must not burn redeliveries);
  // poison: dead-letter at once; retry: redeliver a bounded number of times.
  const cases: [string, unknown, FailureKind][] = [
    ['our own poison marker', new PoisonMessageError('not a batch'), 'poison'],
    ['an invalid batch (AppError VALIDATION)', new AppError('VALIDATION', 'bad'), 'poison'],
    [
      'the database away (AppError UPSTREAM_UNAVAILABLE)',
      new AppError('UPSTREAM_UNAVAILABLE', 'db'),
      'transient',
    ],
    ['another AppError', new AppError('INTERNAL', 'bug'), 'retry'],
    ['connection refused', withCode('ECONNREFUSED'), 'transient'],
    ['connection reset', withCode('ECONNRESET'), 'transient'],
    ['socket timeout', withCode('ETIMEDOUT'), 'transient'],
    ['broken pipe', withCode('EPIPE'), 'transient'],
    ['DNS failure', withCode('ENOTFOUND'), 'transient'],
    ['DNS try again', withCode('EAI_AGAIN'), 'transient'],
    ['host unreachable', withCode('EHOSTUNREACH'), 'transient'],
    ['network unreachable', withCode('ENETUNREACH'), 'transient'],
    ['SQLSTATE 08006 connection failure', withCode('08006'), 'transient'],
    ['SQLSTATE 08001 cannot connect', withCode('08001'), 'transient'],
    ['SQLSTATE 53300 too many connections', withCode('53300'), 'transient'],
    ['SQLSTATE 53100 disk full', withCode('53100'), 'transient'],
    ['SQLSTATE 57P01 admin shutdown', withCode('57P01'), 'transient'],
    ['SQLSTATE 57P03 cannot connect now (starting up)', withCode('57P03'), 'transient'],
    ['SQLSTATE 40001 serialization failure', withCode('40001'), 'transient'],
    ['SQLSTATE 40P01 deadlock', withCode('40P01'), 'transient'],
    ['SQLSTATE 23503 unit deleted meanwhile (foreign key)', withCode('23503'), 'poison'],
    ['SQLSTATE 23502 unknown unit (not null)', withCode('23502'), 'poison'],
    ['SQLSTATE 23514 value out of a CHECK', withCode('23514'), 'poison'],
    ['SQLSTATE 22P02 malformed value', withCode('22P02'), 'poison'],
    ['SQLSTATE 22003 number out of range', withCode('22003'), 'poison'],
    ['SQLSTATE 57014 statement cancelled (timeout)', withCode('57014'), 'retry'],
    ['SQLSTATE 42P01 missing table', withCode('42P01'), 'retry'],
    ['SQLSTATE XX000 internal error', withCode('XX000'), 'retry'],
    ['pg: connection terminated', new Error('Connection terminated unexpectedly'), 'transient'],
    ['pg pool: connect timeout', new Error('timeout exceeded when trying to connect'), 'transient'],
    ['pg: client connection error', new Error('Client has encountered a connection error'), 'transient'],
    ['pg: pool ended', new Error('Cannot use a pool after calling end on the pool'), 'transient'],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'x')"), 'retry'],
    ['a numeric code is not a SQLSTATE', Object.assign(new Error('x'), { code: 8006 }), 'retry'],
    ['a thrown string', 'boom', 'retry'],
    ['null', null, 'retry'],
    ['undefined', undefined, 'retry'],
  ];
  it.each(cases)('%s → %s', (_name, error, kind) => {
    expect(classifyFailure(error)).toBe(kind);
  });
});

describe('backoffMs (queue write retries)', () => {
  const cases: [attempt: number, maxMs: number | undefined, ms: number][] = [
    [0, undefined, 250],
    [1, undefined, 250],
    [2, undefined, 500],
    [3, undefined, 1_000],
    [4, undefined, 2_000],
    [5, undefined, 4_000],
    [6, undefined, 5_000],
    [100, undefined, 5_000],
    [2_000, undefined, 5_000],
    [3, 2_000, 1_000],
    [4, 2_000, 2_000],
    [5, 2_000, 2_000],
  ];
  it.each(cases)('attempt %i (cap %s) → %i ms', (attempt, maxMs, ms) => {
    expect(backoffMs(attempt, maxMs)).toBe(ms);
  });
});
