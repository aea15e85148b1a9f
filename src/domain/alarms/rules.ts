import { AppError } from '../../lib/errors.ts';
import type { AlarmRule } from './types.ts';

// What makes a rule evaluable. The engine refuses a bad rule rather than guessing, so a later API
// layer can run the same check and answer 422 with these messages.

const isNonNegative = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isPositive = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;

/** The problems of a rule, in words; empty when it can be evaluated. */
export const alarmRuleProblems = (rule: AlarmRule): string[] => {
  const problems: string[] = [];
  if (!['high', 'low', 'no_data', 'sensor_failure', 'predicted_breach'].includes(rule.kind))
    problems.push('unknown kind');
  if (!['warning', 'critical'].includes(rule.severity)) problems.push('unknown severity');
  if (!isNonNegative(rule.delay_seconds)) problems.push('delay_seconds must be ≥ 0');
  if (!isNonNegative(rule.deadband_c)) problems.push('deadband_c must be ≥ 0');
  if (!isNonNegative(rule.clear_delay_seconds)) problems.push('clear_delay_seconds must be ≥ 0');
  if (rule.kind === 'high' || rule.kind === 'low') {
    if (typeof rule.threshold_c !== 'number' || !Number.isFinite(rule.threshold_c))
      problems.push('threshold_c is required');
    if (rule.max_gap_seconds !== undefined && !isPositive(rule.max_gap_seconds))
      problems.push('max_gap_seconds must be > 0');
    const hasCumulative = rule.cumulative_seconds !== undefined;
    if (hasCumulative !== (rule.window_seconds !== undefined))
      problems.push('cumulative_seconds and window_seconds go together');
    if (hasCumulative && !isPositive(rule.cumulative_seconds))
      problems.push('cumulative_seconds must be > 0');
    if (hasCumulative && rule.window_seconds !== undefined) {
      if (
        !isPositive(rule.window_seconds) ||
        (rule.window_seconds as number) < (rule.cumulative_seconds as number)
      )
        problems.push('window_seconds must be ≥ cumulative_seconds');
    }
  }
  if (rule.kind === 'predicted_breach') {
    if (typeof rule.threshold_c !== 'number' || !Number.isFinite(rule.threshold_c))
      problems.push('threshold_c is required');
    if (rule.direction !== 'high' && rule.direction !== 'low')
      problems.push("direction must be 'high' or 'low'");
    for (const field of ['horizon_seconds', 'lookback_seconds', 'max_gap_seconds'] as const)
      if (rule[field] !== undefined && !isPositive(rule[field])) problems.push(`${field} must be > 0`);
  }
  if (rule.kind === 'sensor_failure') {
    if (!Number.isInteger(rule.failures_in_row) || (rule.failures_in_row as number) < 1)
      problems.push('failures_in_row must be an integer ≥ 1');
  }
  if (rule.kind === 'no_data' && !isPositive(rule.no_data_seconds))
    problems.push('no_data_seconds must be > 0');
  return problems;
};

/**
 * Checks that a rule can be evaluated.
 * @throws AppError VALIDATION naming the rule and its problems.
 */
export const assertValidAlarmRule = (rule: AlarmRule): void => {
  const problems = alarmRuleProblems(rule);
  if (problems.length > 0)
    throw new AppError('VALIDATION', `alarm rule ${rule.id}: ${problems.join('; ')}`, { problems });
};
